"""Each update once, even when Telegram delivers it again (webhook retries, a restart
before the polling offset was confirmed, or two processes behind one webhook)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.types import TelegramObject, Update

from bot.metrics import Metrics
from bot.shared_state import SharedState

log = logging.getLogger(__name__)
PROCESSING_SECONDS = 300.0  # a claim held while the update is handled
DONE_SECONDS = 2 * 24 * 3600.0  # Telegram keeps undelivered updates for 24 hours
# One process alone forgets its markers when it restarts anyway; what it must catch is a
# webhook retry or a repeated batch, which come within minutes. Keeps memory flat.
DONE_SECONDS_IN_MEMORY = 3600.0


class DeduplicateUpdates(BaseMiddleware):
    def __init__(self, state: SharedState, metrics: Metrics) -> None:
        self._state = state
        self._metrics = metrics
        self._done = DONE_SECONDS if state.kind == "redis" else DONE_SECONDS_IN_MEMORY

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        assert isinstance(event, Update)
        if event.poll_answer is not None:
            # Idempotent already (one answer per round and user, ON CONFLICT in the database),
            # and the busiest update in a quiz: no shared-state round trips for it.
            return await handler(event, data)
        bot: Bot | None = data.get("bot")
        key = f"cvm:{bot.id if bot else 0}:update:{event.update_id}"
        if not await self._state.claim(key, PROCESSING_SECONDS):
            self._metrics.duplicates.inc()
            log.info("update %s was already handled: skipped", event.update_id)
            return None
        try:
            result = await handler(event, data)
        except BaseException:
            await self._state.release(key)  # not handled: a redelivery may try again
            raise
        await self._state.hold(key, self._done)
        return result
