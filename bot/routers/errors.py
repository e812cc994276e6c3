"""Last resort: log the failure and tell the user plainly, instead of going silent."""

from __future__ import annotations

import logging

from aiogram import Router
from aiogram.types import ErrorEvent

from bot.texts import t
from knowledge.models import Lang
from knowledge.script import detect_lang

log = logging.getLogger(__name__)


def make_router() -> Router:
    router = Router(name="errors")
    router.errors.register(on_error)
    return router


async def on_error(event: ErrorEvent) -> bool:
    log.exception("update %s failed", event.update.update_id, exc_info=event.exception)
    update = event.update
    try:
        if update.message is not None:
            code = update.message.from_user.language_code if update.message.from_user else None
            lang = detect_lang(update.message.text or "", code)
            await update.message.answer(t("error", lang))
        elif update.callback_query is not None:
            await update.callback_query.answer(t("error", Lang.EN), show_alert=True)
    except Exception:  # the apology itself failed (e.g. Telegram down): logged, not raised
        log.warning("could not tell the user about the failure", exc_info=True)
    return True
