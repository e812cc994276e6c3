"""Per-user rate limit: a sliding window counted in the shared state (memory or Redis),
so the limit holds across processes. The count of the current fixed window plus the
previous window's, weighted by how much of it still lies inside the sliding window, may
not pass the limit: a burst that straddles a window boundary gets `limit` through, not
twice that as with fixed windows. The first refused message in a window gets a friendly
explanation; later ones are dropped quietly.

It runs before the access gate (a stranger's flood must not cost a role look-up and a
refusal per message), so it does not know whether a group is enabled: in groups only a
command gets the explanation, as only a command gets the gate's refusal there."""

from __future__ import annotations

import math
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.enums import ChatType
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
        slot, into = divmod(now, self._window)
        key = f"cvm:throttle:{user.id}:{int(slot)}"
        current = await self._state.incr(key, 2 * self._window)  # read again next window
        if current <= self._limit:  # over the limit alone, the previous window cannot help
            previous = await self._state.get(f"cvm:throttle:{user.id}:{int(slot) - 1}")
            remaining = 1.0 - into / self._window  # of the previous window, still inside
            if current + previous * remaining <= self._limit:
                return await handler(event, data)
        metrics: Metrics = data["metrics"]
        metrics.refused.labels("throttled").inc()
        lang: Lang = data.get("lang", Lang.EN)
        wait = max(1, math.ceil(self._window - into))
        if isinstance(event, CallbackQuery):
            await event.answer(t("throttled", lang, seconds=wait), show_alert=True)
        elif (
            isinstance(event, Message)
            and _may_explain(event)
            and await self._state.claim(f"cvm:throttle-told:{user.id}:{int(slot)}", self._window)
        ):
            await event.answer(t("throttled", lang, seconds=wait))
        return None


def _may_explain(message: Message) -> bool:
    """A private chat, or a command in a group (the gate speaks in groups only then)."""
    if message.chat.type not in (ChatType.GROUP, ChatType.SUPERGROUP):
        return True
    return (message.text or "").startswith("/")
