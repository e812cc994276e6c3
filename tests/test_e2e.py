"""End to end: `cvm run --api-url` polls the local Bot API server over real HTTP.

The tests play users on the server's side and read what the bot sent, exactly
as a person in Telegram would see it.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from tests.telegram_server.server import BotApiServer, SentMessage

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="session")]
TOKEN = "123456:E2E-test-token-abcdefghijklmnopqrstu"
MANAGER = 9100


@pytest.fixture(scope="module")
def bot_env(tmp_path_factory: pytest.TempPathFactory, index_dir: Path) -> dict[str, str]:
    data = tmp_path_factory.mktemp("e2e-data")
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "ACCESS_POLICY": "open",
        "DATA_DIR": str(data),
        "INDEX_DIR": str(index_dir),
        "LOG_LEVEL": "INFO",
        "ADMIN_IDS": f"[{MANAGER}]",
        "ALLOWED_GROUP_IDS": "[-100500, -100777]",
        "THROTTLE_MESSAGES": "1000",
    }
    subprocess.run(
        [sys.executable, "-m", "bot.cli", "demo-data", "--customers", "500"],
        env=env, capture_output=True, text=True, timeout=300, check=True,
    )  # fmt: skip
    return env


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def server(
    bot_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[BotApiServer]:
    api = BotApiServer()
    url = await api.start()
    log = tmp_path_factory.mktemp("e2e-log") / "bot.log"
    with log.open("w") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "run", "--api-url", url],
            env=bot_env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
        try:
            await api.wait_for(lambda s: s.calls_to("getUpdates"), timeout=120)
            yield api
        finally:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
            await api.stop()
    assert "Traceback" not in log.read_text(), log.read_text()[-3000:]


def _new_reply(chat_id: int, after: int, *, count: int = 1):  # type: ignore[no-untyped-def]
    def check(s: BotApiServer) -> list[SentMessage] | None:
        new = [m for m in s.bot_messages(chat_id) if m.message_id > after]
        return new if len(new) >= count else None

    return check


def _last_id(api: BotApiServer) -> int:
    return max(api.messages, default=0)


async def test_commands_registered_per_language(server: BotApiServer) -> None:
    await server.wait_for(lambda s: "zh" in s.commands and "" in s.commands)
    assert [c["command"] for c in server.commands[""]] == [
        "start", "help", "ask", "customer", "top", "segments", "survey", "quiz",
    ]  # fmt: skip
    assert server.commands["zh"][2]["description"] == "問顧客價值理論的問題"


async def test_private_question_sources_and_feedback(
    server: BotApiServer, bot_env: dict[str, str]
) -> None:
    chat = 9001
    before = _last_id(server)
    await server.send_text(
        "什麼是顧客感知價值?", chat_id=chat, user_id=chat, language_code="zh-hant"
    )
    (answer,) = await server.wait_for(_new_reply(chat, before))
    assert answer.plain.startswith("根據知識庫:")
    assert "[1]" in answer.plain and "出處:" in answer.plain
    assert [b["text"] for b in answer.buttons()] == ["📚 出處", "👍", "👎"]

    before = _last_id(server)
    await server.press(answer, "📚 出處", user_id=chat)
    (passages,) = await server.wait_for(_new_reply(chat, before))
    assert passages.reply_to == answer.message_id
    assert "引用的原文段落" in passages.plain and "顧客感知價值" in passages.plain
    await server.wait_for(lambda s: "📚 出處" not in [b["text"] for b in answer.buttons()])

    query = await server.press(answer, "👍", user_id=chat)
    answered = await server.wait_for(lambda s: s.callback_answers.get(query))
    assert answered["text"] == "謝謝你的回饋!"
    await server.wait_for(lambda s: "👍 ✓" in [b["text"] for b in answer.buttons()])

    listed = subprocess.run(
        [sys.executable, "-m", "bot.cli", "feedback", "--json"],
        env=bot_env, capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    assert any(r["question"] == "什麼是顧客感知價值?" and r["helpful"] for r in rows)
    assert all(r["sources"] for r in rows)


async def test_off_topic_is_declined_in_english(server: BotApiServer) -> None:
    chat = 9002
    before = _last_id(server)
    await server.send_text("How do I reset my router password?", chat_id=chat, user_id=chat)
    (reply,) = await server.wait_for(_new_reply(chat, before))
    assert "does not cover" in reply.plain
    assert reply.buttons() == []


async def test_group_only_when_addressed(server: BotApiServer) -> None:
    group = -100500
    before = _last_id(server)
    await server.send_text("什麼是潛在價值?", chat_id=group, user_id=42, chat_type="supergroup")
    await server.send_text(
        "/ask 什么是影响价值?", chat_id=group, user_id=42, chat_type="supergroup"
    )
    (reply,) = await server.wait_for(_new_reply(group, before))
    assert "影响价值" in reply.plain
    await asyncio.sleep(1.0)
    assert len([m for m in server.bot_messages(group) if m.message_id > before]) == 1

    before = _last_id(server)
    await server.send_text(
        "@cvm_test_bot 什麼是潛在價值?", chat_id=group, user_id=42, chat_type="supergroup"
    )
    (mentioned,) = await server.wait_for(_new_reply(group, before))
    assert "潛在價值" in mentioned.plain


async def test_rate_limit_is_retried_not_lost(server: BotApiServer) -> None:
    chat = 9003
    server.fail_next("sendMessage", code=429, retry_after=1)
    sends_before = len(server.calls_to("sendMessage"))
    before = _last_id(server)
    started = time.monotonic()
    await server.send_text("什么是货币成本?", chat_id=chat, user_id=chat)
    (reply,) = await server.wait_for(_new_reply(chat, before))
    assert "货币成本" in reply.plain
    assert time.monotonic() - started >= 1.0
    assert len(server.calls_to("sendMessage")) - sends_before == 2


async def test_follow_up_question(server: BotApiServer) -> None:
    chat = 9004
    before = _last_id(server)
    await server.send_text(
        "What are Kano's three levels of customer needs?", chat_id=chat, user_id=chat
    )
    await server.wait_for(_new_reply(chat, before))
    before = _last_id(server)
    await server.send_text("and the second one?", chat_id=chat, user_id=chat)
    (reply,) = await server.wait_for(_new_reply(chat, before))
    assert "滿足性需求" in reply.plain


async def test_manager_breakdown_buttons_and_csv_upload(server: BotApiServer) -> None:
    before = _last_id(server)
    await server.send_text("/customer C-1042", chat_id=MANAGER, user_id=MANAGER, language_code="en")
    photo, card = await server.wait_for(_new_reply(MANAGER, before, count=2))
    assert photo.photo is not None and photo.photo.startswith(b"\x89PNG")
    assert photo.filename == "C-1042.png"
    assert card.plain.startswith("Customer C-1042") and "Tier:" in card.plain
    assert [b["text"] for b in card.buttons()] == [
        "💡 Recommendations", "🧾 Transactions", "📊 Compare with segment",
    ]  # fmt: skip

    before = _last_id(server)
    await server.press(card, "💡 Recommendations", user_id=MANAGER)
    (recs,) = await server.wait_for(_new_reply(MANAGER, before))
    assert recs.plain.startswith("Recommendations for C-1042")

    before = _last_id(server)
    csv_text = "customer_id,timestamp,amount\nC-1042,2026-09-29 10:00,250\nC-1042,oops,1\n"
    await server.send_document(
        "sales.csv", csv_text.encode(), chat_id=MANAGER, user_id=MANAGER, language_code="en"
    )
    (failed,) = await server.wait_for(_new_reply(MANAGER, before))
    assert "Nothing was imported" in failed.plain and "line 3: invalid date" in failed.plain

    before = _last_id(server)
    fixed = "customer_id,timestamp,amount\nC-1042,2026-09-29 10:00,250\n".encode("gbk")
    await server.send_document("sales.csv", fixed, chat_id=MANAGER, user_id=MANAGER)
    (done,) = await server.wait_for(_new_reply(MANAGER, before), timeout=60)
    assert "1 new" in done.plain and "refitted" in done.plain
    assert server.calls_to("getFile") and server.calls_to("download")


async def test_staff_cannot_see_customers(server: BotApiServer) -> None:
    chat = 9101
    before = _last_id(server)
    await server.send_text("/customer C-1042", chat_id=chat, user_id=chat, language_code="en")
    (reply,) = await server.wait_for(_new_reply(chat, before))
    assert "only available to managers" in reply.plain and reply.photo is None


def _survey_customer() -> str:
    """A customer of the 500-customer demo company who answered the delivered-value survey."""
    from bot.customers.demo import generate
    from bot.surveys.demo import generate as generate_surveys
    from value_engine.survey.models import Instrument

    data = generate_surveys(generate(customers=500)).files[Instrument.DELIVERED]
    return data.decode().splitlines()[1].split(",")[1]


async def test_manager_survey_cards_charts_buttons_and_upload(server: BotApiServer) -> None:
    before = _last_id(server)
    await server.send_text("/survey", chat_id=MANAGER, user_id=MANAGER, language_code="en")
    photo, card = await server.wait_for(_new_reply(MANAGER, before, count=2), timeout=60)
    assert photo.photo is not None and photo.photo.startswith(b"\x89PNG")
    assert photo.filename == "survey-delivered-value.png"
    assert card.plain.startswith("Customer delivered value")
    assert "Weakest component: time cost" in card.plain and "Rank correlation" in card.plain
    assert [b["text"] for b in card.buttons()] == [
        "📊 Kano", "📊 Equity drivers", "👥 Compare segments", "💡 Recommendations",
    ]  # fmt: skip

    before = _last_id(server)
    await server.press(card, "📊 Kano", user_id=MANAGER)
    kano_photo, kano_card = await server.wait_for(_new_reply(MANAGER, before, count=2))
    assert kano_photo.filename == "survey-kano.png"
    assert "1. 準時交貨: M must-be (Q1)" in kano_card.plain

    before = _last_id(server)
    await server.press(kano_card, "💡 Recommendations", user_id=MANAGER)
    (advice,) = await server.wait_for(_new_reply(MANAGER, before))
    assert advice.plain.startswith("What the articles suggest (Kano)")
    assert "避免不必要的投資" in advice.plain  # the passage the basics advice cites

    before = _last_id(server)
    await server.press(kano_card, "👥 Compare segments", user_id=MANAGER)
    (compared,) = await server.wait_for(_new_reply(MANAGER, before))
    assert compared.plain.startswith("Kano by segment") and "retail" in compared.plain

    before = _last_id(server)
    await server.send_text(
        "/survey 資產", chat_id=MANAGER, user_id=MANAGER, language_code="zh-hant"
    )
    _, equity = await server.wait_for(_new_reply(MANAGER, before, count=2), timeout=60)
    assert equity.plain.startswith("顧客資產驅動因素") and "優先改善:服務體驗" in equity.plain

    customer = _survey_customer()
    before = _last_id(server)
    await server.send_text(
        f"/customer {customer}", chat_id=MANAGER, user_id=MANAGER, language_code="en"
    )
    _, customer_card = await server.wait_for(_new_reply(MANAGER, before, count=2))
    assert "Delivered value (survey): Vc" in customer_card.plain

    before = _last_id(server)
    bad = "respondent_id,feature,functional,dysfunctional\nR1,Live chat,1,5\nR2,Live chat,9,5\n"
    await server.send_document("kano.csv", bad.encode(), chat_id=MANAGER, user_id=MANAGER)
    (failed,) = await server.wait_for(_new_reply(MANAGER, before))
    assert "Nothing was imported" in failed.plain and "line 3: unknown Kano answer" in failed.plain
    before = _last_id(server)
    fixed = "受訪者編號,功能,正向,反向\nR1,線上客服,喜歡,不喜歡\nR2,線上客服,理所當然,不喜歡\n"
    await server.send_document(
        "kano.csv", fixed.encode("gbk"), chat_id=MANAGER, user_id=MANAGER, language_code="en"
    )
    (done,) = await server.wait_for(_new_reply(MANAGER, before))
    assert "Imported the Kano survey" in done.plain and "2 new respondents" in done.plain


async def test_survey_is_for_managers_in_private_only(server: BotApiServer) -> None:
    staff = 9102
    before = _last_id(server)
    await server.send_text("/survey", chat_id=staff, user_id=staff, language_code="en")
    (reply,) = await server.wait_for(_new_reply(staff, before))
    assert "only available to managers" in reply.plain and reply.photo is None
    group = -100777
    before = _last_id(server)
    await server.send_text("/survey", chat_id=group, user_id=MANAGER, chat_type="supergroup")
    (reply,) = await server.wait_for(_new_reply(group, before))
    assert "never shown in group chats" in reply.plain and reply.photo is None


async def test_group_quiz_with_two_players(server: BotApiServer, bot_env: dict[str, str]) -> None:
    group, ann, ben = -100777, 9201, 9202
    before = _last_id(server)
    await server.send_text(
        "/quiz", chat_id=group, user_id=MANAGER, chat_type="supergroup", language_code="zh-hant"
    )
    (setup,) = await server.wait_for(_new_reply(group, before))
    assert "測驗設定" in setup.plain
    await server.press(setup, "5 Q", user_id=MANAGER, language_code="zh-hant")
    await server.wait_for(lambda s: "✓ 5 Q" in [b["text"] for b in setup.buttons()])
    await server.press(setup, "▶️ 開始", user_id=MANAGER, language_code="zh-hant")

    for n in range(5):
        polls = await server.wait_for(
            lambda s, n=n: len(s.polls_in(group)) > n and s.polls_in(group)
        )
        poll = polls[n]
        assert poll.correct_option is not None and not poll.is_anonymous
        await server.answer_poll(poll, user_id=ann, option=poll.correct_option)
        await server.answer_poll(poll, user_id=ben, option=(poll.correct_option + 1) % 4)
        if n == 0:  # nobody is present yet: the trainer moves the first question on
            await server.send_text(
                "/quiz skip", chat_id=group, user_id=MANAGER, chat_type="supergroup"
            )

    final = await server.wait_for(
        lambda s: next((m for m in s.bot_messages(group) if "測驗結束" in m.plain), None),
        timeout=60,
    )
    board = [line for line in final.plain.splitlines() if "user92" in line]
    assert board[0].startswith("🥇 user9201") and "答對 5/5" in board[0]
    assert board[1].startswith("🥈 user9202") and "0 分" in board[1]
    assert all(p.closed or not p.is_open() for p in server.polls_in(group))

    import sqlite3

    with sqlite3.connect(Path(bot_env["DATA_DIR"]) / "cvm.db") as db:
        rows = db.execute(
            "SELECT a.user_id, sum(a.correct), count(*) FROM quiz_answer a "
            "JOIN quiz_round r ON r.id = a.round_id JOIN quiz_session s ON s.id = r.session_id "
            "WHERE s.chat_id = ? GROUP BY a.user_id ORDER BY a.user_id",
            (group,),
        ).fetchall()
        state = db.execute("SELECT state FROM quiz_session WHERE chat_id = ?", (group,)).fetchone()
    assert rows == [(ann, 5, 5), (ben, 0, 5)] and state == ("finished",)
