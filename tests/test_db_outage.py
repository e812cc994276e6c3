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
    from bot.customers.csv_import import ImportKind
    from bot.customers.demo import generate

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
