"""Redis down is a degraded bot, not a dead one.

With several processes, throttling counters, "already handled" markers and FSM state live
in Redis. When Redis cannot be reached, each falls back to this process's memory: a user
may get one reply twice across processes or a looser rate limit for a while, but nobody
gets "something went wrong" for every message. The outage is logged once when it starts
and once when it ends (checked again every RETRY_SECONDS), and /readyz says "degraded".
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

from aiogram.fsm.storage.base import BaseStorage, StateType, StorageKey
from redis.exceptions import RedisError

from bot.shared_state import MemoryState, SharedState

log = logging.getLogger(__name__)
RETRY_SECONDS = 5.0
T = TypeVar("T")
UNREACHABLE = (RedisError, OSError, TimeoutError)


class Outage:
    """Whether the shared store is down, shared by the state and the FSM storage."""

    def __init__(self) -> None:
        self.since: float | None = None
        self._next_try = 0.0

    @property
    def degraded(self) -> bool:
        return self.since is not None

    async def run(
        self, primary: Callable[[], Awaitable[T]], fallback: Callable[[], Awaitable[T]]
    ) -> T:
        now = time.monotonic()
        if self.since is not None and now < self._next_try:
            return await fallback()
        try:
            result = await primary()
        except UNREACHABLE as error:
            if self.since is None:
                self.since = now
                log.warning(
                    "Redis unreachable (%s): serving from this process's memory until it is back",
                    type(error).__name__,
                )
            self._next_try = now + RETRY_SECONDS
            return await fallback()
        if self.since is not None:
            log.warning("Redis is back after %.0f s", now - self.since)
            self.since = None
        return result


class FallbackState:
    """A SharedState that uses Redis while it answers and memory while it does not."""

    def __init__(self, primary: SharedState, outage: Outage) -> None:
        self._primary = primary
        self._memory = MemoryState()
        self.outage = outage

    @property
    def kind(self) -> str:
        return (
            f"{self._primary.kind} (degraded: memory)"
            if self.outage.degraded
            else self._primary.kind
        )

    async def incr(self, key: str, ttl: float) -> int:
        return await self.outage.run(
            lambda: self._primary.incr(key, ttl), lambda: self._memory.incr(key, ttl)
        )

    async def get(self, key: str) -> int:
        return await self.outage.run(lambda: self._primary.get(key), lambda: self._memory.get(key))

    async def claim(self, key: str, ttl: float) -> bool:
        return await self.outage.run(
            lambda: self._primary.claim(key, ttl), lambda: self._memory.claim(key, ttl)
        )

    async def hold(self, key: str, ttl: float) -> None:
        await self.outage.run(
            lambda: self._primary.hold(key, ttl), lambda: self._memory.hold(key, ttl)
        )

    async def release(self, key: str) -> None:
        await self.outage.run(lambda: self._primary.release(key), lambda: self._memory.release(key))

    async def ping(self) -> bool:
        try:
            return await self._primary.ping()
        except UNREACHABLE:
            return False

    async def close(self) -> None:
        await self._primary.close()


class FallbackStorage(BaseStorage):
    """aiogram FSM storage over Redis, falling back to memory while Redis is down."""

    def __init__(self, primary: BaseStorage, fallback: BaseStorage, outage: Outage) -> None:
        self._primary = primary
        self._fallback = fallback
        self._outage = outage

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        await self._outage.run(
            lambda: self._primary.set_state(key, state),
            lambda: self._fallback.set_state(key, state),
        )

    async def get_state(self, key: StorageKey) -> str | None:
        return await self._outage.run(
            lambda: self._primary.get_state(key), lambda: self._fallback.get_state(key)
        )

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        await self._outage.run(
            lambda: self._primary.set_data(key, data),
            lambda: self._fallback.set_data(key, data),
        )

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        return await self._outage.run(
            lambda: self._primary.get_data(key), lambda: self._fallback.get_data(key)
        )

    async def close(self) -> None:
        await self._primary.close()
        await self._fallback.close()
