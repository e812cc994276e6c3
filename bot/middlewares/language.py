"""Decide each update's reply language once, before any handler runs."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import CallbackQuery, Message, TelegramObject

from knowledge.models import Lang
from knowledge.script import detect_lang, lang_from_code


class LanguageMiddleware(BaseMiddleware):
    """The message's own script wins, then the user's Telegram language, then English."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        lang = Lang.EN
        if isinstance(event, Message):
            code = event.from_user.language_code if event.from_user else None
            lang = detect_lang(event.text or event.caption or "", code)
        elif isinstance(event, CallbackQuery):
            lang = lang_from_code(event.from_user.language_code) or Lang.EN
        data["lang"] = lang
        return await handler(event, data)
