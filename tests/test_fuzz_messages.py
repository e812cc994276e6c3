"""Fuzzing the message paths through the real dispatcher (hypothesis): random Unicode,
control characters, huge inputs, malformed HTML and injection attempts in customer IDs.
Nothing may crash (no update reaches the error handler), every reply must be valid for
Telegram (HTML that parses, at most 4096 characters), nobody without the manager role sees
customer data, and a manager never sees another customer than the one named."""

from __future__ import annotations

import dataclasses
import itertools
import re
from datetime import UTC, datetime

from aiogram import Bot
from aiogram.types import Chat, Message, MessageEntity, Update, User
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.factory import Services, build_dispatcher
from bot.metrics import Metrics
from bot.runners.terminal import TerminalSession
from bot.shared_state import MemoryState
from tests.conftest import MANAGER_ID
from tests.telegram_server.server import parse_html

_ids = itertools.count(5_000_000)
STAFF = User(id=5100, is_bot=False, first_name="Stu", language_code="zh-hant")
MANAGER = User(id=MANAGER_ID, is_bot=False, first_name="Max", language_code="en")
CUSTOMER_ID = re.compile(r"C-\d{4}")
CARD = re.compile(r"(?:Customer|客戶|客户) (C-\d+) ·")  # a breakdown card's title

_text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=300)
_nasty = st.sampled_from([
    "<b>unclosed", "</i>", "<script>alert(1)</script>", "&amp", "&#xZZ;", "a < b > c",
    "'; DROP TABLE customer; --", "C-1042' OR '1'='1", "C-1042%", "C-1042\x00", "\u202eC-1042",
    "@cvm_test_bot", "/customer", "/quiz stop", "\n" * 50, "\t\r\x0b\x0c", "👍" * 500,
    "什麼是" * 400, "x" * 5000, "C-" + "9" * 200, "../../etc/passwd", "${jndi:ldap://x}",
])  # fmt: skip
_messages = st.one_of(_text, _nasty, st.tuples(_nasty, _text).map("".join))


def _update(text: str, user: User) -> Update:
    entities = None
    if text.startswith("/"):
        command = text.split(maxsplit=1)[0] if text.split() else "/"
        entities = [MessageEntity(type="bot_command", offset=0, length=len(command))]
    message = Message(
        message_id=next(_ids), date=datetime.now(UTC), chat=Chat(id=user.id, type="private"),
        from_user=user, text=text, entities=entities,
    )  # fmt: skip
    return Update(update_id=next(_ids), message=message)


def _replies(session: TerminalSession, start: int) -> list[str]:
    return [
        str(p.get("text") or p.get("caption") or "")
        for name, p in session.calls[start:]
        if name in ("sendMessage", "sendPhoto", "sendDocument")
    ]


def _check_valid(replies: list[str]) -> None:
    for reply in replies:
        assert len(reply) <= 4096
        parse_html(reply)  # raises, as Telegram would refuse it


@settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))
@given(texts=st.lists(_messages, min_size=1, max_size=3), as_command=st.booleans())
async def test_random_messages_never_crash_or_leak(
    demo_services: Services, recorded: tuple[Bot, TerminalSession], texts: list[str],
    as_command: bool,
) -> None:  # fmt: skip
    bot, session = recorded
    ops = dataclasses.replace(demo_services, metrics=Metrics(), state=MemoryState())
    dp = build_dispatcher(ops)
    for text in texts:
        start = len(session.calls)
        body = f"/customer {text}" if as_command else text
        await dp.feed_update(bot, _update(body, STAFF))
        replies = _replies(session, start)
        _check_valid(replies)
        assert not any(CARD.search(r) or "CLV" in r for r in replies)

        start = len(session.calls)
        await dp.feed_update(bot, _update(f"/customer {text}", MANAGER))
        replies = _replies(session, start)
        _check_valid(replies)
        named = set(CUSTOMER_ID.findall(text.upper()))
        for reply in replies:
            assert set(CARD.findall(reply)) <= named, (text, reply[:200])
    assert ops.metrics.total(ops.metrics.errors) == 0


async def test_the_card_pattern_recognises_a_real_breakdown(
    demo_services: Services, recorded: tuple[Bot, TerminalSession]
) -> None:
    """The leak check above is only as good as its pattern: it must see a real card."""
    bot, session = recorded
    await build_dispatcher(demo_services).feed_update(bot, _update("/customer c-1042", MANAGER))
    assert CARD.findall(" ".join(_replies(session, 0))) == ["C-1042"]
