"""Per-user rate limit: a fixed window counted in the shared state (memory or Redis),
so the limit holds across processes. The first refused message in a window gets a
friendly explanation; later ones in the same window are dropped quietly."""

from __future__ import annotations

import math
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import CallbackQuery, Message, TelegramObject, User

from bot.metrics import Metrics
from bot.shared_state import SharedState
from bot.texts import t
from knowledge.models import Lang


class Throttle(BaseMiddleware):
    def __init__(self, state: SharedState, limit: int, window: float) -> None:
        self._state = state
        self._limit = limit
        self._window = window

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        user: User | None = data.get("event_from_user")
        if user is None:
            return await handler(event, data)
        now = time.time()
        slot = int(now // self._window)
        count = await self._state.incr(f"cvm:throttle:{user.id}:{slot}", self._window)
        if count <= self._limit:
            return await handler(event, data)
        metrics: Metrics = data["metrics"]
        metrics.refused.labels("throttled").inc()
        lang: Lang = data.get("lang", Lang.EN)
        wait = max(1, math.ceil((slot + 1) * self._window - now))
        if isinstance(event, CallbackQuery):
            await event.answer(t("throttled", lang, seconds=wait), show_alert=True)
        elif count == self._limit + 1 and isinstance(event, Message):
            await event.answer(t("throttled", lang, seconds=wait))
        return None
