"""Latency per handler (inner middleware: runs once a handler has been chosen)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject

from bot.metrics import Metrics


class HandlerMetrics(BaseMiddleware):
    def __init__(self, metrics: Metrics) -> None:
        self._metrics = metrics

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        chosen = data.get("handler")
        callback = getattr(chosen, "callback", None)
        name = getattr(callback, "__name__", "unknown")
        started = time.perf_counter()
        try:
            return await handler(event, data)
        finally:
            self._metrics.handler_seconds.labels(name).observe(time.perf_counter() - started)
