"""Small counters and claims that every bot process must agree on.

One process keeps them in memory; several processes behind a load balancer share
them through Redis, so a user's rate limit and "this update was handled" hold
whichever process receives the next update.
"""

from __future__ import annotations

import time
from typing import Any, Protocol

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError


def redis_timeouts(seconds: float) -> dict[str, Any]:
    """Connection options that make a silent Redis fail fast, for every client.

    redis-py retries a timed-out command 3 times with a backoff by default: with 5 s
    timeouts a partitioned Redis held each update for ~30 s. A dropped connection (Redis
    restarted) is retried once at once; silence is not retried, the caller falls back."""
    return {
        "socket_timeout": seconds,
        "socket_connect_timeout": seconds,
        "retry": Retry(NoBackoff(), 1, supported_errors=(RedisConnectionError,)),
    }


class SharedState(Protocol):
    async def incr(self, key: str, ttl: float) -> int:
        """Add one to a counter that expires `ttl` seconds after its first increment."""

    async def get(self, key: str) -> int:
        """A counter's value, 0 when it does not exist (or expired)."""

    async def claim(self, key: str, ttl: float) -> bool:
        """True for the first caller only, until `ttl` runs out."""

    async def hold(self, key: str, ttl: float) -> None:
        """Keep an existing claim for `ttl` seconds more."""

    async def release(self, key: str) -> None: ...

    async def ping(self) -> bool: ...

    async def close(self) -> None: ...

    @property
    def kind(self) -> str: ...


class MemoryState:
    """Expiring keys in a dict; expired keys are swept every few thousand writes."""

    kind = "memory"
    SWEEP_EVERY = 4096

    def __init__(self) -> None:
        self._values: dict[str, tuple[int, float]] = {}
        self._writes = 0

    def _live(self, key: str, now: float) -> tuple[int, float] | None:
        entry = self._values.get(key)
        if entry is None or entry[1] <= now:
            return None
        return entry

    def _write(self, key: str, value: int, expires: float) -> None:
        self._values[key] = (value, expires)
        self._writes += 1
        if self._writes % self.SWEEP_EVERY == 0:
            now = time.monotonic()
            self._values = {k: v for k, v in self._values.items() if v[1] > now}

    async def incr(self, key: str, ttl: float) -> int:
        now = time.monotonic()
        entry = self._live(key, now)
        value, expires = (entry[0] + 1, entry[1]) if entry else (1, now + ttl)
        self._write(key, value, expires)
        return value

    async def get(self, key: str) -> int:
        entry = self._live(key, time.monotonic())
        return entry[0] if entry else 0

    async def claim(self, key: str, ttl: float) -> bool:
        now = time.monotonic()
        if self._live(key, now) is not None:
            return False
        self._write(key, 1, now + ttl)
        return True

    async def hold(self, key: str, ttl: float) -> None:
        self._write(key, 1, time.monotonic() + ttl)

    async def release(self, key: str) -> None:
        self._values.pop(key, None)

    async def ping(self) -> bool:
        return True

    async def close(self) -> None:
        return None

    def __len__(self) -> int:
        return len(self._values)


class RedisState:
    kind = "redis"

    def __init__(self, redis: Redis) -> None:
        self._redis = redis

    @classmethod
    def from_url(cls, url: str, timeout: float = 0.5) -> RedisState:
        """`timeout` bounds connecting and every reply: a Redis that stops answering
        (a partition, SIGSTOP) raises TimeoutError soon, so FallbackState serves from memory
        instead of every update waiting for TCP to give up."""
        return cls(Redis.from_url(url, **redis_timeouts(timeout)))

    async def incr(self, key: str, ttl: float) -> int:
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.incr(key)
            pipe.expire(key, max(1, round(ttl)), nx=True)
            value, _ = await pipe.execute()
        return int(value)

    async def get(self, key: str) -> int:
        value = await self._redis.get(key)
        return int(value) if value is not None else 0

    async def claim(self, key: str, ttl: float) -> bool:
        return bool(await self._redis.set(key, 1, nx=True, px=max(1, int(ttl * 1000))))

    async def hold(self, key: str, ttl: float) -> None:
        await self._redis.set(key, 1, px=max(1, int(ttl * 1000)))

    async def release(self, key: str) -> None:
        await self._redis.delete(key)

    async def ping(self) -> bool:
        return bool(await self._redis.ping())  # type: ignore[misc]

    async def close(self) -> None:
        await self._redis.aclose()
