"""The buttons under an answer: expand its sources, and 👍/👎 feedback."""

from __future__ import annotations

import json

from aiogram import Bot, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, InaccessibleMessage, InlineKeyboardMarkup

from bot.keyboards import FeedbackCb, SourcesCb, answer_keyboard
from bot.render import passages_html, split_html
from bot.storage.repository import Repository
from bot.texts import t
from knowledge.models import Lang, Source


def make_router() -> Router:
    router = Router(name="answer_actions")
    router.callback_query.register(show_sources, SourcesCb.filter())
    router.callback_query.register(feedback, FeedbackCb.filter())
    return router


async def show_sources(
    query: CallbackQuery, callback_data: SourcesCb, repo: Repository, bot: Bot, lang: Lang
) -> None:
    exchange = await repo.get_exchange(callback_data.exchange_id)
    if exchange is None or query.message is None:
        await query.answer(t("answer_gone", lang), show_alert=True)
        return
    lang = Lang(exchange.lang)
    sources = [Source(**s) for s in json.loads(exchange.sources_json)]
    await query.answer()
    chat_id = query.message.chat.id
    for part in split_html(passages_html(sources, lang)):
        await bot.send_message(chat_id, part, reply_to_message_id=query.message.message_id)
    _, voted = _keyboard_state(query)
    await _set_keyboard(
        query,
        answer_keyboard(callback_data.exchange_id, lang, with_sources=False, voted=voted),
    )


async def feedback(
    query: CallbackQuery, callback_data: FeedbackCb, repo: Repository, lang: Lang
) -> None:
    exchange = await repo.get_exchange(callback_data.exchange_id)
    if exchange is None:
        await query.answer(t("answer_gone", lang), show_alert=True)
        return
    lang = Lang(exchange.lang)
    await repo.record_feedback(callback_data.exchange_id, query.from_user.id, callback_data.helpful)
    await query.answer(t("thanks_feedback", lang))
    has_sources, _ = _keyboard_state(query)
    await _set_keyboard(
        query,
        answer_keyboard(
            callback_data.exchange_id,
            lang,
            with_sources=has_sources,
            voted=callback_data.helpful,
        ),
    )


def _keyboard_state(query: CallbackQuery) -> tuple[bool, bool | None]:
    """What the answer's keyboard shows now: is Sources still there, which vote is ticked.

    The message itself is the state, so nothing about keyboards is stored.
    """
    message = query.message
    if message is None or isinstance(message, InaccessibleMessage) or not message.reply_markup:
        return False, None
    has_sources = False
    voted: bool | None = None
    for row in message.reply_markup.inline_keyboard:
        for button in row:
            data = button.callback_data or ""
            if data.startswith(f"{SourcesCb.__prefix__}:"):
                has_sources = True
            elif data.startswith(f"{FeedbackCb.__prefix__}:") and button.text.endswith("✓"):
                voted = FeedbackCb.unpack(data).helpful
    return has_sources, voted


async def _set_keyboard(query: CallbackQuery, markup: InlineKeyboardMarkup) -> None:
    """Pressing the same button twice leaves the keyboard unchanged: that is fine."""
    if query.message is None or isinstance(query.message, InaccessibleMessage):
        return
    try:
        await query.message.edit_reply_markup(reply_markup=markup)
    except TelegramBadRequest as error:
        if "message is not modified" not in str(error):
            raise
