"""Questions on customer value theory: /ask anywhere, any text in private, mentions in groups."""

from __future__ import annotations

import logging
from datetime import timedelta

from aiogram import F, Router
from aiogram.enums import ChatType
from aiogram.filters import Command, CommandObject
from aiogram.types import Message
from sqlalchemy.exc import SQLAlchemyError

from bot.config import Settings
from bot.filters import AddressedToBot
from bot.keyboards import answer_keyboard
from bot.metrics import Metrics
from bot.render import answer_html, split_html
from bot.storage.repository import Repository
from bot.texts import t
from knowledge.models import Lang
from knowledge.script import detect_lang
from knowledge.service import KnowledgeService

log = logging.getLogger(__name__)


def make_router() -> Router:
    router = Router(name="questions")
    router.message.register(ask_command, Command("ask"))
    router.message.register(ask_text, F.text, ~F.text.startswith("/"), AddressedToBot())
    router.message.register(not_text, F.chat.type == ChatType.PRIVATE, ~F.text)
    # A question fixed after sending (a typo) is answered again, in private chats.
    router.edited_message.register(
        ask_text, F.chat.type == ChatType.PRIVATE, F.text, ~F.text.startswith("/"), AddressedToBot()
    )
    return router


async def ask_command(
    message: Message,
    command: CommandObject,
    lang: Lang,
    knowledge: KnowledgeService,
    repo: Repository,
    settings: Settings,
    metrics: Metrics,
) -> None:
    question = (command.args or "").strip()
    if not question:
        await message.reply(t("empty_question", lang))
        return
    await answer(message, question, lang, knowledge, repo, settings, metrics)


async def ask_text(
    message: Message,
    question: str,
    knowledge: KnowledgeService,
    repo: Repository,
    settings: Settings,
    metrics: Metrics,
) -> None:
    code = message.from_user.language_code if message.from_user else None
    lang = detect_lang(question, code)
    if not question.strip():
        await message.reply(t("empty_question", lang))
        return
    await answer(message, question, lang, knowledge, repo, settings, metrics)


async def not_text(message: Message, lang: Lang) -> None:
    await message.answer(t("text_only", lang))


async def answer(
    message: Message,
    question: str,
    lang: Lang,
    knowledge: KnowledgeService,
    repo: Repository,
    settings: Settings,
    metrics: Metrics,
) -> None:
    if len(question) > settings.max_question_chars:
        await message.reply(t("too_long", lang, limit=settings.max_question_chars))
        return
    window = timedelta(minutes=settings.follow_up_minutes)
    try:
        prior = await repo.last_exchange(message.chat.id, window)
    except SQLAlchemyError:  # the index is local: answer without the conversation's context
        log.warning("database unavailable: answering without follow-up context")
        prior = None
    result = await knowledge.ask(question, lang, prior)
    metrics.answers.labels("answered" if result.answered else "declined").inc()
    user_id = message.from_user.id if message.from_user else None
    keyboard = None
    try:
        exchange_id = await repo.save_exchange(message.chat.id, user_id, result)
    except SQLAlchemyError:  # no stored exchange: no Sources/feedback buttons, same answer
        log.warning("database unavailable: answer sent without buttons")
    else:
        keyboard = answer_keyboard(exchange_id, result.lang, with_sources=bool(result.sources))
    parts = split_html(answer_html(result))
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        markup = keyboard if last and result.answered else None
        if message.chat.type == ChatType.PRIVATE:
            await message.answer(part, reply_markup=markup)
        else:
            await message.reply(part, reply_markup=markup)
