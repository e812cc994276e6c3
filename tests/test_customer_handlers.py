"""Managers' customer features through the real dispatcher, services and database."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest
from aiogram import Bot, Dispatcher
from aiogram.types import CallbackQuery, Chat, Document, Message, MessageEntity, Update, User

from bot.factory import Services
from bot.runners.terminal import BOT_USER, TerminalSession
from tests.conftest import MANAGER_ID
from value_engine.models import ModelError

_ids = itertools.count(10_000)
MANAGER = User(id=MANAGER_ID, is_bot=False, first_name="Mia", language_code="zh-hant")
MANAGER_EN = User(id=MANAGER_ID, is_bot=False, first_name="Mia", language_code="en")
STAFF = User(id=777, is_bot=False, first_name="Sam", language_code="en")
GROUP = Chat(id=-1002, type="supergroup", title="Sales")


def _message(text: str | None, user: User, chat: Chat | None = None, **extra: object) -> Update:
    entities = None
    if text and text.startswith("/"):
        entities = [MessageEntity(type="bot_command", offset=0, length=len(text.split()[0]))]
    message = Message(
        message_id=next(_ids), date=datetime.now(UTC),
        chat=chat or Chat(id=user.id, type="private"),
        from_user=user, text=text, entities=entities, **extra,
    )  # fmt: skip
    return Update(update_id=next(_ids), message=message)


def _press(data: str, user: User) -> Update:
    origin = Message(
        message_id=next(_ids), date=datetime.now(UTC), chat=Chat(id=user.id, type="private"),
        from_user=User(**BOT_USER), text="",  # type: ignore[arg-type]
    )  # fmt: skip
    query = CallbackQuery(
        id=str(next(_ids)), from_user=user, chat_instance="x", message=origin, data=data
    )
    return Update(update_id=next(_ids), callback_query=query)


def _texts(session: TerminalSession) -> list[str]:
    return [p["text"] for name, p in session.calls if name == "sendMessage"]


def _photos(session: TerminalSession) -> list[str]:
    return [name for name, _ in session.calls if name == "sendPhoto"]


async def test_manager_gets_card_chart_and_buttons(
    dp: Dispatcher, recorded: tuple[Bot, TerminalSession], demo_services: Services
) -> None:
    bot, session = recorded
    await dp.feed_update(bot, _message("/customer C-1042", MANAGER))
    assert _photos(session) == ["sendPhoto"]
    filename, png = session.files[-1]
    assert filename == "C-1042.png" and png.startswith(b"\x89PNG")
    (card,) = _texts(session)
    score = demo_services.value.store.score("C-1042")
    assert score is not None
    assert "客戶 C-1042" in card and "等級" in card and f"{score.realized_value:,.0f}" in card
    assert f"{score.p_alive * 100:.0f}%" in card
    markup = next(p for n, p in session.calls if n == "sendMessage")["reply_markup"]
    data = [b["callback_data"] for row in markup["inline_keyboard"] for b in row]
    assert data == ["cu:rec:C-1042", "cu:tx:C-1042", "cu:cmp:C-1042"]
    log = demo_services.value.store.audit_log(5)
    assert (log[0].user_id, log[0].customer_id, log[0].action) == (
        MANAGER_ID,
        "C-1042",
        "breakdown",
    )


async def test_natural_request_and_lowercase_id(
    dp: Dispatcher, recorded: tuple[Bot, TerminalSession]
) -> None:
    bot, session = recorded
    await dp.feed_update(bot, _message("客戶 c-1042 的價值", MANAGER))
    await dp.feed_update(bot, _message("value of customer C-1001", MANAGER_EN))
    first, second = _texts(session)
    assert "客戶 C-1042" in first
    assert "Customer C-1001" in second and "Tier" in second


async def test_buttons_show_recommendations_transactions_and_comparison(
    dp: Dispatcher, recorded: tuple[Bot, TerminalSession], demo_services: Services
) -> None:
    bot, session = recorded
    for action in ("rec", "tx", "cmp"):
        await dp.feed_update(bot, _press(f"cu:{action}:C-1042", MANAGER_EN))
    rec, tx, cmp = _texts(session)
    assert rec.startswith("<b>Recommendations for C-1042</b>")
    breakdown = demo_services.value.breakdown("C-1042")
    assert breakdown is not None
    for r in breakdown.recommendations:
        assert r.action["en"].split(":")[0] in rec.replace("&amp;", "&")
        assert r.citation is not None and "Source" in rec
    count = demo_services.value.store.transaction_count("C-1042")
    assert f"({count} in all)" in tx and "<pre>" in tx
    assert "compared with the segment" in cmp


async def test_staff_and_groups_never_see_customer_data(
    dp: Dispatcher, recorded: tuple[Bot, TerminalSession]
) -> None:
    bot, session = recorded
    await dp.feed_update(bot, _message("/customer C-1042", STAFF))
    await dp.feed_update(bot, _message("/customer C-1042", MANAGER, GROUP))
    await dp.feed_update(bot, _message("/top", STAFF))
    await dp.feed_update(bot, _press("cu:rec:C-1042", STAFF))
    refusal, private_only, refusal_top = _texts(session)
    assert "only available to managers" in refusal and "C-1042" not in refusal
    assert "群組" in private_only
    assert "only available to managers" in refusal_top
    assert _photos(session) == []
    alert = [p for n, p in session.calls if n == "answerCallbackQuery"][-1]
    assert alert.get("show_alert") is True


async def test_unknown_and_missing_ids_get_polite_answers(
    dp: Dispatcher, recorded: tuple[Bot, TerminalSession]
) -> None:
    bot, session = recorded
    await dp.feed_update(bot, _message("/customer C-<b>9", MANAGER_EN))
    await dp.feed_update(bot, _message("/customer", MANAGER_EN))
    unknown, usage = _texts(session)
    assert "can't find a customer" in unknown and "C-&lt;b&gt;9" in unknown
    assert "/customer C-1042" in usage


async def test_top_and_segments(
    dp: Dispatcher, recorded: tuple[Bot, TerminalSession], demo_services: Services
) -> None:
    bot, session = recorded
    await dp.feed_update(bot, _message("/top 3", MANAGER_EN))
    await dp.feed_update(bot, _message("/top 999", MANAGER_EN))
    await dp.feed_update(bot, _message("/segments", MANAGER_EN))
    top, usage, segments = _texts(session)
    best = demo_services.value.store.top(3)
    assert [score.customer_id for score, _ in best] == [
        line.split("<code>")[1].split("</code>")[0] for line in top.splitlines()[2:]
    ]
    assert "Usage" in usage
    assert "Champions" in segments and _photos(session) == ["sendPhoto"]


async def test_csv_upload_imports_and_refits(
    dp: Dispatcher, recorded: tuple[Bot, TerminalSession], demo_services: Services
) -> None:
    bot, session = recorded
    before = demo_services.value.ensure_fit()
    good = b"customer_id,timestamp,amount,gross_margin\nC-1042,2026-09-28 12:00,500,150\n"
    bad = b"customer_id,timestamp,amount\nC-1042,2026-09-28,abc\nNOPE-1,2026-09-28,5\n"
    session.documents.update({"good": good, "bad": bad})
    for file_id, name in (("good", "new.csv"), ("bad", "broken.csv")):
        doc = Document(file_id=file_id, file_unique_id=file_id, file_name=name, file_size=100)
        await dp.feed_update(bot, _message(None, MANAGER_EN, document=doc))
    ok, failed = _texts(session)
    assert "1 new" in ok and "refitted" in ok
    assert "Nothing was imported" in failed and "line 2" in failed and "line 3" in failed
    after = demo_services.value.ensure_fit()
    assert after.revision == before.revision + 1 and after.transactions == before.transactions + 1


async def test_a_model_that_cannot_give_sound_numbers_shows_none(
    dp: Dispatcher,
    recorded: tuple[Bot, TerminalSession],
    demo_services: Services,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Issue 14: a non-finite score is refused before it is stored; the manager is told
    politely, in their language, and sees no number."""

    def refuse(customer_id: str) -> None:
        raise ModelError(f"CLV is not finite for customer {customer_id}")

    monkeypatch.setattr(demo_services.value, "breakdown", refuse)
    bot, session = recorded
    await dp.feed_update(bot, _message("/customer C-1042", MANAGER))
    await dp.feed_update(bot, _press("cu:rec:C-1042", MANAGER_EN))
    card, pressed = _texts(session)
    assert "價值模型無法算出可靠的數字" in card and "cvm value fit" in card
    assert "cannot give sound numbers" in pressed
    assert not _photos(session)
    for text in (card, pressed):
        assert "inf" not in text and "nan" not in text.lower() and "Traceback" not in text
