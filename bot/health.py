"""Is this process able to serve? Used by /readyz and the admin /status command.

Readiness has three answers, for a load balancer: "ok"; "degraded" (200: the database or
Redis is away, yet staff still get answers from the local index, customer data says
"temporarily unavailable"); "unavailable" (503: no passages to answer from, or a shared
store with no fallback). Taking every process out of rotation because the shared database
is down would turn a partial outage into a total one. Liveness (/healthz) is separate.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import Engine, text

from bot.degraded import FallbackState
from bot.shared_state import SharedState
from knowledge.service import KnowledgeService


@dataclass(frozen=True, slots=True)
class Check:
    ok: bool
    detail: str
    ms: float
    degraded: bool = False  # serving without it: from memory instead of Redis


def _database(engine: Engine) -> None:
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))


async def check_database(engine: Engine, timeout: float = 3.0) -> Check:
    started = time.perf_counter()
    try:
        await asyncio.wait_for(asyncio.to_thread(_database, engine), timeout)
    except Exception as exc:  # any failure means "not ready", with the reason shown
        return Check(False, type(exc).__name__, (time.perf_counter() - started) * 1000)
    return Check(True, engine.dialect.name, (time.perf_counter() - started) * 1000)


def check_index(knowledge: KnowledgeService) -> Check:
    started = time.perf_counter()
    chunks = len(knowledge.chunks)
    mode = "dense+BM25" if knowledge.dense_enabled else "BM25"
    return Check(chunks > 0, f"{chunks} passages, {mode}", (time.perf_counter() - started) * 1000)


async def check_state(state: SharedState, timeout: float = 3.0) -> Check:
    """Redis unreachable behind a FallbackState is "degraded", still ready: the process
    serves from its own memory (bot/degraded.py)."""
    started = time.perf_counter()
    try:
        ok = await asyncio.wait_for(state.ping(), timeout)
    except Exception as exc:
        ok, detail = False, f"{state.kind}: {type(exc).__name__}"
    else:
        detail = state.kind
    if not ok and isinstance(state, FallbackState):
        return Check(True, "degraded: Redis unreachable, serving from memory", 0.0, True)
    return Check(ok, detail, (time.perf_counter() - started) * 1000)


ReadyStatus = Literal["ok", "degraded", "unavailable"]
# Checks a process serves questions without (degraded), and those it cannot do without.
SERVES_WITHOUT = frozenset({"database"})


@dataclass(frozen=True, slots=True)
class Readiness:
    status: ReadyStatus
    checks: dict[str, Check]

    @property
    def ready(self) -> bool:
        return self.status != "unavailable"


async def readiness(engine: Engine, knowledge: KnowledgeService, state: SharedState) -> Readiness:
    checks = {
        "database": await check_database(engine),
        "index": check_index(knowledge),
        "shared_state": await check_state(state),
    }
    status: ReadyStatus = "ok"
    for name, check in checks.items():
        if not check.ok and name not in SERVES_WITHOUT:
            return Readiness("unavailable", checks)
        if not check.ok or check.degraded:
            status = "degraded"
    return Readiness(status, checks)
