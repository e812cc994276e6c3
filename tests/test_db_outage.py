"""The database goes away and comes back: knowledge answers never stop (the index is
local), managers are told customer data is unavailable, and the bot recovers by itself."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from aiogram import Bot
from aiogram.types import Chat, Message, MessageEntity, Update, User
from pydantic import SecretStr

from bot.factory import Services, build_dispatcher, build_services
from bot.runners.terminal import TerminalSession
from tests.postgres import PostgresServer, postgres_control

pytestmark = pytest.mark.postgres
_ids = itertools.count(700_000)
MANAGER = User(id=7100, is_bot=False, first_name="Mia", language_code="en")


@pytest.fixture(scope="module")
def pg(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PostgresServer]:
    with postgres_control(tmp_path_factory.mktemp("pg-outage")) as server:
        yield server


@pytest.fixture(scope="module")
def pg_services(
    services: Services, pg: PostgresServer, tmp_path_factory: pytest.TempPathFactory
) -> Services:
    settings = services.settings.model_copy(
        update={"database_url": SecretStr(pg.url), "data_dir": tmp_path_factory.mktemp("outage")}
    )
    built = build_services(settings)
    from bot.customers.demo import generate
    from bot.customers.import_report import ImportKind

    company = generate(customers=200, seed=5)
    built.value.import_file(ImportKind.CUSTOMERS, company.customers_csv)
    built.value.import_file(ImportKind.TRANSACTIONS, company.transactions_csv)
    built.value.ensure_fit()
    built.value.store.set_role(MANAGER.id, "manager")
    return built


def _update(text: str, user: User) -> Update:
    entities = None
    if text.startswith("/"):
        entities = [MessageEntity(type="bot_command", offset=0, length=len(text.split()[0]))]
    message = Message(
        message_id=next(_ids), date=datetime.now(UTC), chat=Chat(id=user.id, type="private"),
        from_user=user, text=text, entities=entities,
    )  # fmt: skip
    return Update(update_id=next(_ids), message=message)


def _texts(session: TerminalSession) -> list[str]:
    return [str(p["text"]) for name, p in session.calls if name == "sendMessage"]


async def test_knowledge_keeps_working_while_the_database_is_down(
    pg_services: Services, pg: PostgresServer, recorded: tuple[Bot, TerminalSession]
) -> None:
    bot, session = recorded
    assert pg_services.engine.dialect.name == "postgresql"
    dp = build_dispatcher(pg_services)
    await dp.feed_update(bot, _update("/customer C-1042", MANAGER))
    assert "C-1042" in _texts(session)[-1]  # warm: the manager's role is known

    pg.stop()
    try:
        await dp.feed_update(bot, _update("What is perceived value?", MANAGER))
        answer = session.calls[-1][1]
        assert "[1]" in str(answer["text"])
        assert "reply_markup" not in answer  # no stored exchange, so no feedback buttons
        await dp.feed_update(bot, _update("/customer C-1042", MANAGER))
        assert "temporarily unavailable" in _texts(session)[-1]
        assert "still work" in _texts(session)[-1]
    finally:
        pg.start()

    await dp.feed_update(bot, _update("/customer C-1042", MANAGER))  # no restart needed
    assert "C-1042" in _texts(session)[-1] and "unavailable" not in _texts(session)[-1]
    await dp.feed_update(bot, _update("What is brand equity?", MANAGER))
    assert "reply_markup" in session.calls[-1][1]  # stored again: buttons are back
    assert pg_services.metrics.total(pg_services.metrics.errors) >= 1


async def test_unknown_user_during_an_outage_is_told_the_service_is_limited(
    services: Services, recorded: tuple[Bot, TerminalSession]
) -> None:
    """Issue 14, item 9: with the database stopped, a user the process had not seen yet was
    told they are not invited."""
    from sqlalchemy import create_engine

    from bot.access import AccessControl
    from bot.customers.store import CustomerStore

    away = create_engine("postgresql+psycopg://cvm:pw@127.0.0.1:9/cvm?connect_timeout=1")
    access = AccessControl(CustomerStore(away), frozenset(), policy="allowlist")
    mine = services.__class__(**{**services.__dict__, "access": access})
    bot, session = recorded
    user = User(id=8801, is_bot=False, first_name="Ida", language_code="zh-hant")
    message = Message(
        message_id=1, date=datetime.now(UTC), chat=Chat(id=user.id, type="private"),
        from_user=user, text="什麼是顧客價值?",
    )  # fmt: skip
    await build_dispatcher(mine).feed_update(bot, Update(update_id=880101, message=message))
    (sent,) = [p for name, p in session.calls if name == "sendMessage"]
    assert "服務暫時受限" in sent["text"] and "受邀" not in sent["text"]


async def test_lease_renewal_logs_an_outage_once(
    services: Services, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Issue 14, item 9: the quiz lease renewal logged a full traceback every 5 s."""
    import asyncio
    import logging

    from sqlalchemy.exc import OperationalError

    quiz = services.quiz
    calls = {"n": 0}

    async def adopt(_bot: object) -> int:
        calls["n"] += 1
        if calls["n"] <= 5:
            raise OperationalError("SELECT 1", {}, Exception("server closed the connection"))
        return 0

    monkeypatch.setattr(quiz, "_adopt", adopt)
    monkeypatch.setattr(quiz, "_lease", 0.03)
    caplog.set_level(logging.INFO, logger="bot.quiz.service")
    task = asyncio.create_task(quiz._keep_leases(None))  # type: ignore[arg-type]
    while calls["n"] < 7:
        await asyncio.sleep(0.01)
    task.cancel()
    lines = [r for r in caplog.records if r.name == "bot.quiz.service"]
    assert [r.getMessage().split(" (")[0] for r in lines] == [
        "quiz: cannot renew leases",
        "quiz: leases renewed again",
    ]
    assert not any(r.exc_info for r in lines)


async def test_readiness_is_degraded_not_unavailable_while_the_database_is_down(
    pg_services: Services, pg: PostgresServer
) -> None:
    """Issue 24, item 5: /readyz said 503 during a database outage, so a load balancer took
    out every process although each still answered staff's questions. Degraded is 200, as
    for Redis; /healthz (liveness) stays a separate, plain 200."""
    from aiohttp import web
    from aiohttp.test_utils import TestClient, TestServer

    from bot.runners.ops_http import add_ops_routes

    app = web.Application()
    add_ops_routes(app, pg_services)
    async with TestClient(TestServer(app)) as http:
        assert (await http.get("/readyz")).status == 200
        pg.stop()
        try:
            response = await http.get("/readyz")
            body = await response.json()
            assert response.status == 200, body
            assert body["ready"] is True and body["status"] == "degraded"
            assert body["checks"]["database"]["ok"] is False
            assert body["checks"]["index"]["ok"] is True
            assert (await http.get("/healthz")).status == 200
        finally:
            pg.start()
        response = await http.get("/readyz")
        assert response.status == 200 and (await response.json())["status"] == "ok"
