"""The gate, rate limits, de-duplication, metrics, /status and log masking, through the
real dispatcher (updates fed with `dp.feed_update`) on the shared test services."""

from __future__ import annotations

import dataclasses
import itertools
import json
import logging
from datetime import UTC, datetime

import pytest
from aiogram import Bot
from aiogram.types import Chat, Message, MessageEntity, Update, User

from bot.access import AccessControl
from bot.factory import Services, build_dispatcher
from bot.logs import MASK, JsonFormatter, SecretMask
from bot.metrics import Metrics
from bot.runners.terminal import TerminalSession
from bot.shared_state import MemoryState

_ids = itertools.count(300_000)
ADMIN = User(id=3100, is_bot=False, first_name="Ada", language_code="en")
KNOWN = User(id=3200, is_bot=False, first_name="Kim", language_code="en")
STRANGER = User(id=3300, is_bot=False, first_name="Sam", language_code="zh-hant")


def _update(
    text: str, user: User, chat: Chat | None = None, update_id: int | None = None
) -> Update:
    entities = None
    if text.startswith("/"):
        entities = [MessageEntity(type="bot_command", offset=0, length=len(text.split()[0]))]
    message = Message(
        message_id=next(_ids), date=datetime.now(UTC),
        chat=chat or Chat(id=user.id, type="private"), from_user=user, text=text,
        entities=entities,
    )  # fmt: skip
    return Update(update_id=update_id or next(_ids), message=message)


def _texts(session: TerminalSession) -> list[str]:
    return [str(p["text"]) for name, p in session.calls if name == "sendMessage"]


def _ops(services: Services, **settings: object) -> Services:
    """The shared services with their own settings, gate, counters and metrics."""
    changed = services.settings.model_copy(update=settings)
    access = AccessControl(
        services.value.store,
        frozenset({ADMIN.id}),
        policy=changed.access_policy,
        allowed_groups=frozenset(changed.allowed_group_ids),
    )
    return dataclasses.replace(
        services, settings=changed, access=access, metrics=Metrics(), state=MemoryState()
    )


async def test_allowlist_turns_strangers_away_politely_and_lets_known_staff_in(
    services: Services, recorded: tuple[Bot, TerminalSession]
) -> None:
    bot, session = recorded
    ops = _ops(services, access_policy="allowlist")
    services.value.store.set_role(KNOWN.id, "staff")
    dp = build_dispatcher(ops)
    await dp.feed_update(bot, _update("什麼是顧客感知價值?", STRANGER))
    (refusal,) = _texts(session)
    assert "管理員" in refusal and f"<code>{STRANGER.id}</code>" in refusal
    assert "[1]" not in refusal  # no knowledge leaked
    await dp.feed_update(bot, _update("What is perceived value?", KNOWN))
    assert "[1]" in _texts(session)[-1]
    assert ops.metrics.total(ops.metrics.refused) == 1


async def test_open_policy_serves_strangers_as_staff_but_not_customer_data(
    services: Services, recorded: tuple[Bot, TerminalSession]
) -> None:
    bot, session = recorded
    dp = build_dispatcher(_ops(services, access_policy="open"))
    await dp.feed_update(bot, _update("What is perceived value?", STRANGER))
    await dp.feed_update(bot, _update("/customer C-1042", STRANGER))
    answer, refusal = _texts(session)
    assert "[1]" in answer
    assert ("C-1042" not in refusal and "manager" in refusal.lower()) or "經理" in refusal


async def test_groups_need_an_admin_before_the_bot_speaks(
    services: Services, recorded: tuple[Bot, TerminalSession]
) -> None:
    bot, session = recorded
    ops = _ops(services)
    dp = build_dispatcher(ops)
    group = Chat(id=-(400_000 + next(_ids)), type="supergroup", title="New team")
    await dp.feed_update(bot, _update("/ask What is brand equity?", KNOWN, group))
    assert _texts(session) == [
        "I am not enabled in this group yet. An admin can enable me here with /allowgroup."
    ]
    await dp.feed_update(bot, _update("/start@another_bot", KNOWN, group))  # not for us
    assert len(_texts(session)) == 1
    await dp.feed_update(bot, _update("/allowgroup", KNOWN, group))  # not an admin
    assert len(_texts(session)) == 2 and "not enabled" in _texts(session)[-1]
    await dp.feed_update(bot, _update("/allowgroup", ADMIN, group))
    assert "enabled" in _texts(session)[-1]
    await dp.feed_update(bot, _update("/ask What is brand equity?", KNOWN, group))
    assert "[1]" in _texts(session)[-1]
    await dp.feed_update(bot, _update(f"/denygroup {group.id}", ADMIN))
    assert "disabled" in _texts(session)[-1]
    count = len(_texts(session))
    await dp.feed_update(bot, _update("@cvm_test_bot What is brand equity?", KNOWN, group))
    assert len(_texts(session)) == count  # silent again, and no refusal for a mere mention
    await dp.feed_update(bot, _update("/groups", ADMIN))
    assert str(group.id) not in _texts(session)[-1]
    for bad in ("/allowgroup", "/allowgroup team", "/allowgroup -1 -2", f"/allowgroup {'9' * 30}"):
        await dp.feed_update(bot, _update(bad, ADMIN))
        assert _texts(session)[-1].startswith("Send <code>/allowgroup</code>"), bad


async def test_a_group_allowed_by_configuration_is_not_denied_from_chat(
    services: Services, recorded: tuple[Bot, TerminalSession]
) -> None:
    bot, session = recorded
    group = Chat(id=-(400_000 + next(_ids)), type="supergroup", title="Configured")
    dp = build_dispatcher(_ops(services, allowed_group_ids=[group.id]))
    await dp.feed_update(bot, _update("/denygroup", ADMIN, group))
    assert "ALLOWED_GROUP_IDS" in _texts(session)[-1]
    await dp.feed_update(bot, _update("/ask What is brand equity?", KNOWN, group))
    assert "[1]" in _texts(session)[-1]  # still served, as the reply said


async def test_throttling_answers_once_then_stays_quiet(
    services: Services, recorded: tuple[Bot, TerminalSession]
) -> None:
    bot, session = recorded
    ops = _ops(services, throttle_messages=3, throttle_window_seconds=3600)
    dp = build_dispatcher(ops)
    for _ in range(6):
        await dp.feed_update(bot, _update("What is perceived value?", KNOWN))
    texts = _texts(session)
    assert len(texts) == 4
    assert all("[1]" in t for t in texts[:3])
    assert "faster than I can answer" in texts[3] and "seconds" in texts[3]
    assert ops.metrics.total(ops.metrics.refused) == 3
    other = User(id=3201, is_bot=False, first_name="Lee", language_code="en")
    await dp.feed_update(bot, _update("What is perceived value?", other))
    assert "[1]" in _texts(session)[-1]  # the limit is per user


async def test_a_repeated_update_is_handled_once(
    services: Services, recorded: tuple[Bot, TerminalSession]
) -> None:
    bot, session = recorded
    ops = _ops(services)
    dp = build_dispatcher(ops)
    update = _update("What is customer lifetime value?", KNOWN)
    await dp.feed_update(bot, update)
    await dp.feed_update(bot, update)
    assert len(_texts(session)) == 1
    assert ops.metrics.total(ops.metrics.duplicates) == 1
    # A second dispatcher on the same shared state (another process) skips it too.
    await build_dispatcher(ops).feed_update(bot, update)
    assert len(_texts(session)) == 1


async def test_metrics_count_updates_handlers_and_declined_answers(
    services: Services, recorded: tuple[Bot, TerminalSession]
) -> None:
    bot, _session = recorded
    ops = _ops(services)
    dp = build_dispatcher(ops)
    await dp.feed_update(bot, _update("What is perceived value?", KNOWN))
    fresh = User(id=3400, is_bot=False, first_name="New", language_code="en")  # no follow-up
    await dp.feed_update(bot, _update("Will it rain tomorrow?", fresh))
    text = ops.metrics.exposition().decode()
    assert 'cvm_updates_total{type="message"} 2.0' in text
    assert 'cvm_answers_total{outcome="answered"} 1.0' in text
    assert 'cvm_answers_total{outcome="declined"} 1.0' in text
    assert 'cvm_handler_seconds_count{handler="ask_text"} 2.0' in text
    assert ops.metrics.p95_seconds() is not None


async def test_status_is_for_admins_and_reports_health(
    services: Services, recorded: tuple[Bot, TerminalSession]
) -> None:
    bot, session = recorded
    dp = build_dispatcher(_ops(services))
    await dp.feed_update(bot, _update("/status", KNOWN))
    assert _texts(session)[-1] == "Only admins can see the status."
    await dp.feed_update(bot, _update("/status", ADMIN))
    status = _texts(session)[-1]
    assert "✅ database: sqlite" in status
    assert "✅ knowledge index:" in status and "passages" in status
    assert "✅ shared state: memory" in status
    assert "updates handled: 1" in status  # the first /status
    # The value model's state in words: fitted on the demo data, or not yet.
    assert "value model: reliable" in status or "value model: not fitted yet" in status


def test_secrets_are_masked_in_messages_and_tracebacks() -> None:
    token = "987654321:AAH-secret-token-value_1234567890"
    mask = SecretMask([token, "hunter2-db-password"])
    try:
        raise RuntimeError(f"POST https://api.telegram.org/bot{token}/sendMessage failed")
    except RuntimeError:
        record = logging.LogRecord(
            "t", logging.ERROR, __file__, 1, "url %s, db %s", (token, "hunter2-db-password"),
            exc_info=__import__("sys").exc_info(),
        )  # fmt: skip
    assert mask.filter(record)
    line = JsonFormatter().format(record)
    entry = json.loads(line)
    assert token not in line and "hunter2" not in line
    assert entry["msg"] == f"url {MASK}, db {MASK}" and MASK in entry["exc"]
    assert entry["level"] == "error" and "RuntimeError" in entry["exc"]
    # A token that was never configured is still caught by its shape.
    assert mask.mask("bot123456789:ABCdefGHIjklMNOpqrSTUvwx/getMe") == f"bot{MASK}/getMe"


@pytest.mark.parametrize("limit", [1, 5])
async def test_memory_state_counts_and_claims(limit: int) -> None:
    state = MemoryState()
    assert [await state.incr("k", 60) for _ in range(limit)][-1] == limit
    assert await state.claim("c", 60) and not await state.claim("c", 60)
    await state.release("c")
    assert await state.claim("c", 60)
    assert await state.claim("short", 0.001) and len(state) == 3


def test_json_logs_cover_warnings_and_crashes_and_mask_them() -> None:
    """Issue 14, item 4: warnings and start-up crashes were neither JSON nor masked, and
    aiogram's unknown-update warning printed the raw update."""
    import json
    import subprocess
    import sys

    token = "123456789:AAsecret-token-abcdefghijklmnopqrstu"
    script = (
        "import warnings, logging\n"
        "from bot.logs import configure_logging\n"
        "configure_logging('INFO', 'json', ['hunter2-password'])\n"
        f"warnings.warn('leak {token} hunter2-password')\n"
        "logging.getLogger('aiogram.event').warning("
        '\'Detected unknown update type.\\nUpdate: {"text": "hunter2-password"}\')\n'
        "raise RuntimeError('boom hunter2-password')\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    lines = [json.loads(line) for line in done.stderr.splitlines()]
    assert done.returncode == 1 and len(lines) == 3
    assert lines[2]["level"] == "critical" and "RuntimeError" in lines[2]["exc"]
    assert "hunter2" not in done.stderr and token not in done.stderr
    assert "Update:" not in done.stderr


async def test_throttle_holds_across_a_window_boundary(
    services: Services, recorded: tuple[Bot, TerminalSession], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 14, item 12: a burst straddling a window boundary let about twice
    THROTTLE_MESSAGES through the fixed window."""
    from bot.middlewares import throttle

    bot, session = recorded
    clock = [1_000_000 * 60 + 59.5]  # half a second before a window ends
    monkeypatch.setattr(throttle.time, "time", lambda: clock[0])
    dp = build_dispatcher(_ops(services, throttle_messages=4, throttle_window_seconds=60))
    user = User(id=3301, is_bot=False, first_name="Max", language_code="en")
    for _ in range(4):
        await dp.feed_update(bot, _update("What is perceived value?", user))
    clock[0] += 1.0  # the next window has begun
    for _ in range(4):
        await dp.feed_update(bot, _update("What is perceived value?", user))
    answers = [text for text in _texts(session) if "[1]" in text]
    assert len(answers) == 4  # not 8
    assert sum("faster than I can answer" in text for text in _texts(session)) == 1


async def test_unknown_users_are_rate_limited_before_the_access_check(
    services: Services, recorded: tuple[Bot, TerminalSession]
) -> None:
    """Issue 24, item 5: the access check ran before the throttle, so a stranger's 30
    messages got 30 refusals (and 30 role look-ups)."""
    bot, session = recorded
    ops = _ops(services, access_policy="allowlist", throttle_messages=3)
    dp = build_dispatcher(ops)
    stranger = User(id=3302, is_bot=False, first_name="Flo", language_code="en")
    for _ in range(30):
        await dp.feed_update(bot, _update("What is perceived value?", stranger))
    texts = _texts(session)
    assert len(texts) == 4, texts
    assert all(f"<code>{stranger.id}</code>" in text for text in texts[:3])
    assert "faster than I can answer" in texts[3]
    exposition = ops.metrics.exposition().decode()
    assert 'cvm_requests_refused_total{reason="throttled"} 27.0' in exposition


async def test_the_throttle_stays_silent_in_a_group_the_bot_is_not_enabled_in(
    services: Services, recorded: tuple[Bot, TerminalSession]
) -> None:
    """Throttling first must not make the bot speak where the gate keeps it silent: in
    groups only a command gets the throttle's notice, as only a command gets a refusal."""
    bot, session = recorded
    dp = build_dispatcher(_ops(services, throttle_messages=2))
    group = Chat(id=-(500_000 + next(_ids)), type="supergroup", title="Chatty team")
    for _ in range(10):
        await dp.feed_update(bot, _update("lunch anyone?", KNOWN, group))
    assert _texts(session) == []
