"""Is this process able to serve? Used by /readyz and the admin /status command."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from sqlalchemy import Engine, text

from bot.degraded import FallbackState
from bot.shared_state import SharedState
from knowledge.service import KnowledgeService


@dataclass(frozen=True, slots=True)
class Check:
    ok: bool
    detail: str
    ms: float


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
        return Check(True, "degraded: Redis unreachable, serving from memory", 0.0)
    return Check(ok, detail, (time.perf_counter() - started) * 1000)
