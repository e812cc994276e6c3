"""End to end: the bot process dies in the middle of a quiz and is started again.

Votes cast while it is down wait in the Bot API server's update queue, as they do in
Telegram; the restarted bot resumes the session from the database, counts each of
them once, and finishes the quiz.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.telegram_server.server import BotApiServer

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="session")]
TOKEN = "123456:E2E-restart-token-abcdefghijklmnopqr"
TRAINER, ANN, BEN, GROUP = 9300, 9301, 9302, -100930


@contextmanager
def bot_process(url: str, env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("a") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "run", "--api-url", url],
            env=env, stdout=sink, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            yield proc
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()


async def _until_rounds(db_path: Path, count: int) -> None:
    for _ in range(200):
        with sqlite3.connect(db_path) as db:
            if db.execute("SELECT count(*) FROM quiz_round").fetchone()[0] >= count:
                return
        await asyncio.sleep(0.05)
    raise TimeoutError("the bot did not record the round")


async def test_quiz_survives_the_bot_being_killed(tmp_path: Path, index_dir: Path) -> None:
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "ACCESS_POLICY": "open",
        "DATA_DIR": str(tmp_path / "data"),
        "INDEX_DIR": str(index_dir),
        "ADMIN_IDS": f"[{TRAINER}]",
        "ALLOWED_GROUP_IDS": f"[{GROUP}]",
    }
    log = tmp_path / "bot.log"
    api = BotApiServer()
    url = await api.start()
    try:
        with bot_process(url, env, log) as first:
            await api.wait_for(lambda s: s.calls_to("getUpdates"), timeout=120)
            await api.send_text(
                "/quiz start", chat_id=GROUP, user_id=TRAINER, chat_type="supergroup",
                language_code="zh-hant",
            )  # fmt: skip
            polls = await api.wait_for(lambda s: s.polls_in(GROUP))
            await api.answer_poll(polls[0], user_id=ANN, option=polls[0].correct_option or 0)
            await api.answer_poll(polls[0], user_id=BEN, option=(polls[0].correct_option or 0) + 1)
            await api.send_text(
                "/quiz skip", chat_id=GROUP, user_id=TRAINER, chat_type="supergroup"
            )
            polls = await api.wait_for(lambda s: len(s.polls_in(GROUP)) >= 2 and s.polls_in(GROUP))
            # Crash once the second question is on record (a crash between Telegram taking the
            # poll and the bot recording it would ask that question again: see the notes).
            await _until_rounds(tmp_path / "data" / "cvm.db", 2)
            first.kill()  # no graceful shutdown: a crash
            first.wait(timeout=20)

        # While the bot is down, both players vote on the open question.
        second = polls[1]
        assert second.is_open()
        await api.answer_poll(second, user_id=ANN, option=second.correct_option or 0)
        await api.answer_poll(second, user_id=BEN, option=((second.correct_option or 0) + 1) % 4)

        with bot_process(url, env, log):
            for n in range(2, 10):
                polls = await api.wait_for(
                    lambda s, n=n: len(s.polls_in(GROUP)) > n and s.polls_in(GROUP), timeout=60
                )
                poll = polls[n]
                await api.answer_poll(poll, user_id=ANN, option=poll.correct_option or 0)
                await api.answer_poll(
                    poll, user_id=BEN, option=((poll.correct_option or 0) + 1) % 4
                )
            final = await api.wait_for(
                lambda s: next((m for m in s.bot_messages(GROUP) if "測驗結束" in m.plain), None),
                timeout=60,
            )
        assert "答對 10/10" in final.plain and "答對 0/10" in final.plain
        with sqlite3.connect(tmp_path / "data" / "cvm.db") as db:
            rows = db.execute(
                "SELECT user_id, count(*), sum(correct) FROM quiz_answer GROUP BY user_id "
                "ORDER BY user_id"
            ).fetchall()
            rounds = db.execute("SELECT count(*), sum(closed) FROM quiz_round").fetchone()
        assert rows == [(ANN, 10, 10), (BEN, 10, 0)]
        assert rounds == (10, 10)
    finally:
        await api.stop()
    assert "Traceback" not in log.read_text(), log.read_text()[-3000:]
