"""Readers keep being served on SQLite while `cvm value publish` writes (issue 24, item 5).

A publish wrote every served customer's rows in one transaction: on SQLite, one writer
at a time, so the manager's /customer (its audit-log row is a write) and the quiz lease
renewal waited for the whole publish, then failed with "database is locked". The rows are
now written outside the main database's write lock, and only a short copy takes it.
"""

from __future__ import annotations

import asyncio
import io
import json
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest
from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.enums import ParseMode
from sqlalchemy import Connection, Table, func, select

from bot.config import Settings
from bot.customers import store as store_module
from bot.customers.demo import generate
from bot.customers.import_report import ImportKind
from bot.customers.store import PERIOD, SCORE
from bot.factory import Services, build_dispatcher, build_services
from bot.runners.terminal import TERMINAL_TOKEN, TerminalSession
from bot.storage.models import ValueFit
from tests.conftest import MANAGER_ID
from tests.test_customer_handlers import MANAGER_EN, _message, _texts

SLOW_SECONDS = 4.0  # each block of rows a publish writes, as for a few million customers


@pytest.fixture()
def sqlite_services(tmp_path: Path, index_dir: Path) -> Services:
    settings = Settings(  # type: ignore[call-arg]
        data_dir=tmp_path, index_dir=index_dir, _env_file=None, access_policy="open"
    )
    services = build_services(settings)
    assert services.engine.dialect.name == "sqlite"
    company = generate(customers=300, seed=3)
    services.value.import_file(ImportKind.CUSTOMERS, company.customers_csv)
    services.value.import_file(ImportKind.TRANSACTIONS, company.transactions_csv)
    services.value.ensure_fit()
    services.value.store.set_role(MANAGER_ID, "manager")
    return services


Rows = list[dict[str, object]]


def _publish_input(services: Services) -> tuple[ValueFit, Rows, Rows]:
    """The bot's own fit and scores, as a warehouse's publish would hand them over, plus
    customers the bot does not know yet."""
    store = services.value.store
    latest = store.latest_fit()
    assert latest is not None
    params = {**json.loads(latest.params_json), "source": "duckdb:/lake/tx"}
    fit = ValueFit(
        revision=0, fingerprint="lake", params_json=json.dumps(params),
        customers=latest.customers, transactions=latest.transactions, seconds=1.0,
    )  # fmt: skip
    with services.engine.connect() as conn:
        scores = [dict(r) for r in conn.execute(select(SCORE)).mappings()]
    extra = [{**scores[0], "customer_id": f"W-{n}"} for n in range(50)]
    periods = [
        {"customer_id": row["customer_id"], "quarter": 8100 + q, "revenue": 10.0, "profit": 3.0}
        for row in scores[:100]
        for q in range(4)
    ]
    return fit, scores + extra, periods


async def test_customer_is_answered_while_a_publish_writes(
    sqlite_services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    services = sqlite_services
    session = TerminalSession(io.StringIO())
    bot = Bot(
        TERMINAL_TOKEN, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML)
    )
    dp = build_dispatcher(services)
    (first, _, _), *_ = services.value.top(1)
    await dp.feed_update(bot, _message(f"/customer {first.customer_id}", MANAGER_EN))
    assert f"Customer {first.customer_id}" in _texts(session)[-1]

    writing = threading.Event()
    real_insert = store_module.insert_rows

    def slow_insert(
        connection: Connection, table: Table, rows: Sequence[Mapping[str, object]]
    ) -> None:
        writing.set()
        time.sleep(SLOW_SECONDS)
        real_insert(connection, table, rows)

    monkeypatch.setattr(store_module, "insert_rows", slow_insert)
    fit, scores, periods = _publish_input(services)
    publish = asyncio.create_task(
        asyncio.to_thread(services.value.store.publish, fit, scores, periods)
    )
    assert await asyncio.to_thread(writing.wait, 30), "the publish never wrote its rows"

    started = time.monotonic()
    await asyncio.wait_for(
        dp.feed_update(bot, _message(f"/customer {first.customer_id}", MANAGER_EN)), 60
    )
    waited = time.monotonic() - started
    assert f"Customer {first.customer_id}" in _texts(session)[-1]
    assert waited < 2.0, f"/customer waited {waited:.1f} s for the publish"
    started = time.monotonic()
    await asyncio.to_thread(services.value.store.set_role, 4242, "staff")  # a lease-like write
    assert time.monotonic() - started < 2.0
    assert not publish.done()  # the publish was still writing all along

    saved = await publish
    assert saved.id is not None and json.loads(saved.params_json)["source"] == "duckdb:/lake/tx"
    with services.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(SCORE)).scalar() == len(scores)
        assert conn.execute(select(func.count()).select_from(PERIOD)).scalar() == len(periods)
        fits = set(conn.execute(select(SCORE.c.fit_id).distinct()).scalars())
    assert fits == {saved.id}
    assert services.value.store.customer("W-7") is not None  # unknown customers added
