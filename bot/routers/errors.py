"""Last resort: log the failure and tell the user plainly, instead of going silent.

A database that does not answer gets its own message: customer data is unavailable for
now, while knowledge questions (answered from the local index) keep working.
"""

from __future__ import annotations

import logging

from aiogram import Router
from aiogram.exceptions import TelegramForbiddenError
from aiogram.types import ErrorEvent
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from bot.metrics import Metrics
from bot.texts import t
from knowledge.models import Lang
from knowledge.script import detect_lang, lang_from_code

log = logging.getLogger(__name__)


def make_router() -> Router:
    router = Router(name="errors")
    router.errors.register(on_error)
    return router


def is_database_down(error: BaseException) -> bool:
    if isinstance(error, OperationalError | InterfaceError):
        return True
    return isinstance(error, DBAPIError) and error.connection_invalidated


async def on_error(event: ErrorEvent, metrics: Metrics | None = None) -> bool:
    if isinstance(event.exception, TelegramForbiddenError):
        # The user blocked the bot or it left the chat: nobody to tell, nothing to retry.
        log.info("update %s: %s", event.update.update_id, event.exception.message)
        if metrics is not None:
            metrics.errors.labels("TelegramForbiddenError").inc()
        return True
    database_down = is_database_down(event.exception)
    if metrics is not None:
        metrics.errors.labels(type(event.exception).__name__).inc()
    if database_down:
        log.warning("update %s: database unavailable (%s)", event.update.update_id,
                    type(event.exception).__name__)  # fmt: skip
    else:
        log.exception("update %s failed", event.update.update_id, exc_info=event.exception)
    key = "data_unavailable" if database_down else "error"
    update = event.update
    try:
        if update.message is not None:
            code = update.message.from_user.language_code if update.message.from_user else None
            lang = detect_lang(update.message.text or "", code)
            await update.message.answer(t(key, lang))
        elif update.callback_query is not None:
            lang = lang_from_code(update.callback_query.from_user.language_code) or Lang.EN
            await update.callback_query.answer(t(key, lang), show_alert=True)
    except Exception:  # the apology itself failed (e.g. Telegram down): logged, not raised
        log.warning("could not tell the user about the failure", exc_info=True)
    return True
