"""Telegram misbehaving, end to end: the real bot process polls the local Bot API server,
which injects faults (429, 5xx, dropped connections, duplicate updates, a blocked bot,
"message is not modified", a deleted message). Each time the user's request must be
served once, and the process must neither crash nor log a traceback. Last, SIGTERM in
the middle of a reply: the reply is still delivered and the process exits cleanly.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from tests.telegram_server.server import BotApiServer, SentMessage

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="session")]
TOKEN = "424242:E2E-resilience-token-abcdefghijklmnop"


class Running:
    def __init__(self, api: BotApiServer, proc: subprocess.Popen[bytes], log: Path) -> None:
        self.api, self.proc, self.log = api, proc, log


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def bot(tmp_path_factory: pytest.TempPathFactory, index_dir: Path) -> AsyncIterator[Running]:
    data = tmp_path_factory.mktemp("resilience")
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "ACCESS_POLICY": "open",
        "DATA_DIR": str(data),
        "INDEX_DIR": str(index_dir),
        "THROTTLE_MESSAGES": "1000",
        "ALLOWED_GROUP_IDS": "[-100600]",
        "LOG_FORMAT": "json",
    }
    api = BotApiServer()
    url = await api.start()
    log = data / "bot.log"
    with log.open("w") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "run", "--api-url", url],
            env=env, stdout=sink, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            await api.wait_for(lambda s: s.calls_to("getUpdates"), timeout=120)
            yield Running(api, proc, log)
        finally:
            if proc.poll() is None:
                proc.kill()
            await api.stop()
    text = log.read_text()
    assert "Traceback" not in text, text[-3000:]
    assert TOKEN not in text and TOKEN.split(":")[1] not in text  # the token never logged


async def _ask(api: BotApiServer, text: str, chat: int, **extra: object) -> list[SentMessage]:
    before = max(api.messages, default=0)
    await api.send_text(text, chat_id=chat, user_id=abs(chat) % 10**6, **extra)  # type: ignore[arg-type]

    def replies(s: BotApiServer) -> list[SentMessage] | None:
        new = [m for m in s.bot_messages(chat) if m.message_id > before]
        return new or None

    return await api.wait_for(replies)  # type: ignore[no-any-return]


async def test_server_errors_are_retried(bot: Running) -> None:
    bot.api.fail_next("sendMessage", code=502)
    (reply,) = await _ask(bot.api, "什麼是顧客感知價值?", 9501)
    assert "[1]" in reply.plain


async def test_a_dropped_connection_is_retried(bot: Running) -> None:
    bot.api.drop_next("sendMessage")
    (reply,) = await _ask(bot.api, "What is brand equity?", 9502)
    assert "[1]" in reply.plain


async def test_polling_survives_a_dropped_get_updates(bot: Running) -> None:
    bot.api.drop_next("getUpdates")
    bot.api.fail_next("getUpdates", code=500)
    (reply,) = await _ask(bot.api, "What is customer lifetime value?", 9503)
    assert "[1]" in reply.plain


async def test_a_duplicate_update_is_answered_once(bot: Running) -> None:
    bot.api.duplicate_next()
    replies = await _ask(bot.api, "什麼是顧客讓渡價值?", 9504)
    await asyncio.sleep(1.0)  # time for a second (wrong) answer to show up
    assert len(bot.api.bot_messages(9504)) == len(replies) == 1


async def test_a_user_who_blocked_the_bot_does_not_break_it(bot: Running) -> None:
    bot.api.fail_next("sendMessage", code=403, description="Forbidden: bot was blocked by the user")
    await bot.api.send_text("What is perceived value?", chat_id=9505, user_id=9505)
    await bot.api.wait_for(
        lambda s: len([c for c in s.calls_to("sendMessage") if c.params["chat_id"] == "9505"])
    )
    (reply,) = await _ask(bot.api, "What is perceived value?", 9506)  # others still served
    assert "[1]" in reply.plain
    assert not bot.api.bot_messages(9505)
    assert bot.proc.poll() is None


async def test_pressing_a_button_twice_is_not_an_error(bot: Running) -> None:
    (answer,) = await _ask(bot.api, "What is the 80/20 rule?", 9507)
    first = await bot.api.press(answer, "👍", user_id=9507)
    await bot.api.wait_for(lambda s: s.callback_answers.get(first))
    await bot.api.wait_for(lambda s: "👍 ✓" in [b["text"] for b in answer.buttons()])
    second = await bot.api.press(answer, "👍 ✓", user_id=9507)  # same markup: "not modified"
    reply = await bot.api.wait_for(lambda s: s.callback_answers.get(second))
    assert "Thanks" in reply["text"]


async def test_a_question_deleted_before_the_reply_is_still_answered(bot: Running) -> None:
    replies = await _ask(bot.api, "/ask 什麼是品牌資產?", -100600, chat_type="supergroup",
                         deleted=True)  # fmt: skip
    assert "[1]" in replies[0].plain and replies[0].reply_to is None


async def test_an_edited_question_is_answered_again(bot: Running) -> None:
    chat = 9508
    before = max(bot.api.messages, default=0)
    sent = await bot.api.send_text("What is brand equty?", chat_id=chat, user_id=chat)
    await bot.api.wait_for(lambda s: [m for m in s.bot_messages(chat) if m.message_id > before])
    await bot.api.edit_text(sent, "What is brand equity?", chat_id=chat, user_id=chat)
    answers = await bot.api.wait_for(
        lambda s: len(s.bot_messages(chat)) >= 2 and s.bot_messages(chat)
    )
    assert "[1]" in answers[-1].plain


async def test_sigterm_lets_the_reply_in_flight_finish(bot: Running) -> None:
    """The reply is held up by a 429 (retry after 2 s) when SIGTERM arrives."""
    chat = 9509
    bot.api.fail_next("sendMessage", code=429, retry_after=2)
    before = len(bot.api.calls_to("sendMessage"))
    await bot.api.send_text("What is potential value?", chat_id=chat, user_id=chat)
    await bot.api.wait_for(lambda s: len(s.calls_to("sendMessage")) > before)  # the 429
    bot.proc.send_signal(signal.SIGTERM)
    (reply,) = await bot.api.wait_for(lambda s: s.bot_messages(chat), timeout=30)
    assert "[1]" in reply.plain
    for _ in range(300):
        if bot.proc.poll() is not None:
            break
        await asyncio.sleep(0.1)
    assert bot.proc.returncode == 0
    assert "waiting for 1 update(s) in flight" in bot.log.read_text()
