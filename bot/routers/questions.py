"""Questions on customer value theory: /ask anywhere, any text in private, mentions in groups."""

from __future__ import annotations

from datetime import timedelta

from aiogram import F, Router
from aiogram.enums import ChatType
from aiogram.filters import Command, CommandObject
from aiogram.types import Message

from bot.config import Settings
from bot.filters import AddressedToBot
from bot.keyboards import answer_keyboard
from bot.render import answer_html, split_html
from bot.storage.repository import Repository
from bot.texts import t
from knowledge.models import Lang
from knowledge.script import detect_lang
from knowledge.service import KnowledgeService


def make_router() -> Router:
    router = Router(name="questions")
    router.message.register(ask_command, Command("ask"))
    router.message.register(ask_text, F.text, ~F.text.startswith("/"), AddressedToBot())
    router.message.register(not_text, F.chat.type == ChatType.PRIVATE, ~F.text)
    return router


async def ask_command(
    message: Message,
    command: CommandObject,
    lang: Lang,
    knowledge: KnowledgeService,
    repo: Repository,
    settings: Settings,
) -> None:
    question = (command.args or "").strip()
    if not question:
        await message.reply(t("empty_question", lang))
        return
    await answer(message, question, lang, knowledge, repo, settings)


async def ask_text(
    message: Message,
    question: str,
    knowledge: KnowledgeService,
    repo: Repository,
    settings: Settings,
) -> None:
    code = message.from_user.language_code if message.from_user else None
    lang = detect_lang(question, code)
    if not question.strip():
        await message.reply(t("empty_question", lang))
        return
    await answer(message, question, lang, knowledge, repo, settings)


async def not_text(message: Message, lang: Lang) -> None:
    await message.answer(t("text_only", lang))


async def answer(
    message: Message,
    question: str,
    lang: Lang,
    knowledge: KnowledgeService,
    repo: Repository,
    settings: Settings,
) -> None:
    if len(question) > settings.max_question_chars:
        await message.reply(t("too_long", lang, limit=settings.max_question_chars))
        return
    prior = await repo.last_exchange(message.chat.id, timedelta(minutes=settings.follow_up_minutes))
    result = await knowledge.ask(question, lang, prior)
    user_id = message.from_user.id if message.from_user else None
    exchange_id = await repo.save_exchange(message.chat.id, user_id, result)
    parts = split_html(answer_html(result))
    keyboard = answer_keyboard(exchange_id, result.lang, with_sources=bool(result.sources))
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        markup = keyboard if last and result.answered else None
        if message.chat.type == ChatType.PRIVATE:
            await message.answer(part, reply_markup=markup)
        else:
            await message.reply(part, reply_markup=markup)
