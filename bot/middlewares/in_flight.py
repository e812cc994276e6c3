"""Count the updates being handled, so a shutdown can wait for them to finish."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update
from aiogram.types.update import UpdateTypeLookupError

from bot.metrics import Metrics


class InFlight(BaseMiddleware):
    """Also the update-level metrics: count by type, latency, the in-flight gauge."""

    def __init__(self, metrics: Metrics) -> None:
        self._metrics = metrics
        self._count = 0
        self._idle = asyncio.Event()
        self._idle.set()

    @property
    def count(self) -> int:
        return self._count

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        assert isinstance(event, Update)
        self._count += 1
        self._idle.clear()
        self._metrics.in_flight.inc()
        started = time.perf_counter()
        try:
            return await handler(event, data)
        finally:
            # First the count, which a shutdown waits on; an update of no known type
            # ({"update_id": 5} alone) has no event_type to label the metrics with.
            self._count -= 1
            if self._count == 0:
                self._idle.set()
            self._metrics.in_flight.dec()
            self._metrics.update_seconds.observe(time.perf_counter() - started)
            self._metrics.updates.labels(_event_type(event)).inc()

    async def drain(self, timeout: float) -> bool:
        """Wait until nothing is in flight; False if `timeout` ran out first."""
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
        except TimeoutError:
            return False
        return True


def _event_type(update: Update) -> str:
    try:
        return update.event_type
    except UpdateTypeLookupError:
        return "unknown"
