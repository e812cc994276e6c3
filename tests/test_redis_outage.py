"""Redis down is a degraded bot, not a dead one (issue 14, item 9): with Redis stopped,
every update got "Sorry, something went wrong" (the FSM's get_state failed)."""

from __future__ import annotations

import asyncio
import itertools
import shutil
import signal
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiogram import Bot
from aiogram.types import Chat, Message, Update, User
from pydantic import SecretStr

from bot import degraded
from bot.degraded import FallbackState, Outage
from bot.factory import Services, build_dispatcher
from bot.health import check_state
from bot.runners.terminal import TerminalSession
from bot.shared_state import RedisState
from tests.postgres import free_port

_ids = itertools.count(7000)
ZOE = User(id=7701, is_bot=False, first_name="Zoe", language_code="en")


def _question(text: str) -> Update:
    message = Message(
        message_id=next(_ids), date=datetime.now(UTC), chat=Chat(id=ZOE.id, type="private"),
        from_user=ZOE, text=text,
    )  # fmt: skip
    return Update(update_id=next(_ids), message=message)


def _redis(port: int, workdir: Path) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", str(workdir)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    return server


async def _until_up(state: RedisState) -> None:
    for _ in range(100):
        try:
            if await state.ping():
                return
        except OSError:
            pass
        except Exception:
            pass
        await asyncio.sleep(0.05)
    raise AssertionError("redis-server did not start")


async def test_updates_are_answered_while_redis_is_down(
    services: Services,
    recorded: tuple[Bot, TerminalSession],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if not shutil.which("redis-server"):
        pytest.skip("redis-server is not installed: deploy/local/services.sh install")
    monkeypatch.setattr(degraded, "RETRY_SECONDS", 0.0)
    port = free_port()
    url = f"redis://127.0.0.1:{port}/0"
    server = _redis(port, tmp_path)
    redis_state = RedisState.from_url(url)
    try:
        await _until_up(redis_state)
        state = FallbackState(redis_state, Outage())
        settings = services.settings.model_copy(update={"redis_url": SecretStr(url)})
        mine = services.__class__(**{**services.__dict__, "settings": settings, "state": state})
        dp = build_dispatcher(mine)
        bot, session = recorded

        def answers() -> list[str]:
            return [p["text"] for name, p in session.calls if name == "sendMessage"]

        await dp.feed_update(bot, _question("What is perceived value?"))
        assert "[1]" in answers()[-1] and state.kind == "redis"

        server.terminate()
        server.wait(timeout=10)
        await dp.feed_update(bot, _question("What is brand equity?"))
        assert "[1]" in answers()[-1], answers()[-1]  # not "something went wrong"
        assert state.outage.degraded and "degraded" in state.kind
        ready = await check_state(state)
        assert ready.ok and "degraded" in ready.detail

        server = _redis(port, tmp_path)
        await _until_up(redis_state)
        await dp.feed_update(bot, _question("What is customer equity?"))
        assert "[1]" in answers()[-1] and not state.outage.degraded
        await dp.storage.close()
    finally:
        server.terminate()
        server.wait(timeout=10)
        await redis_state.close()


async def test_a_silent_redis_is_an_outage_not_a_stall(
    services: Services,
    recorded: tuple[Bot, TerminalSession],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Issue 24, item 5: a Redis that stops answering (SIGSTOP, as a network partition
    looks) stalled every update for ~30 s, logged nothing and never fell back."""
    if not shutil.which("redis-server"):
        pytest.skip("redis-server is not installed: deploy/local/services.sh install")
    port = free_port()
    url = f"redis://127.0.0.1:{port}/0"
    server = _redis(port, tmp_path)
    settings = services.settings.model_copy(update={"redis_url": SecretStr(url)})
    redis_state = RedisState.from_url(url, settings.redis_timeout_seconds)
    try:
        await _until_up(redis_state)
        state = FallbackState(redis_state, Outage())
        mine = services.__class__(**{**services.__dict__, "settings": settings, "state": state})
        dp = build_dispatcher(mine)
        bot, session = recorded
        await dp.feed_update(bot, _question("What is perceived value?"))  # warm connections

        server.send_signal(signal.SIGSTOP)
        for question in ("What is brand equity?", "What is customer equity?"):
            started = time.monotonic()
            await asyncio.wait_for(dp.feed_update(bot, _question(question)), timeout=10)
            assert time.monotonic() - started < 3.0, "a silent Redis must not stall an update"
            sent = [p["text"] for name, p in session.calls if name == "sendMessage"]
            assert "[1]" in sent[-1], sent[-1]
        assert state.outage.degraded
        assert any("Redis unreachable" in r.getMessage() for r in caplog.records)
        ready = await asyncio.wait_for(check_state(state), timeout=3)
        assert ready.ok and "degraded" in ready.detail
        await dp.storage.close()
    finally:
        server.send_signal(signal.SIGCONT)
        server.terminate()
        server.wait(timeout=10)
        await redis_state.close()
