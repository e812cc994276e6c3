"""The same storage and value paths on a real PostgreSQL server (DATABASE_URL=postgresql+psycopg://...)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, inspect

from bot.customers.csv_import import import_customers, import_transactions
from bot.customers.demo import generate
from bot.customers.service import ValueService
from bot.customers.store import CustomerStore
from bot.storage.migrate import current_revision, downgrade, upgrade
from bot.storage.repository import make_engine
from tests.postgres import postgres_server

pytestmark = pytest.mark.postgres


class _NoCitations:
    def find(self, doc_prefix: str, quote: str) -> None:
        return None


@pytest.fixture(scope="module")
def pg_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    with postgres_server(tmp_path_factory.mktemp("pg")) as url:
        engine = make_engine(url)
        yield engine
        engine.dispose()


def test_migrations_up_and_down_on_postgres(pg_engine: Engine) -> None:
    assert current_revision(pg_engine) == "0005"
    downgrade(pg_engine, "base")
    assert set(inspect(pg_engine).get_table_names()) <= {"alembic_version"}
    upgrade(pg_engine)
    assert {"customer", "customer_transaction", "exchange"} <= set(
        inspect(pg_engine).get_table_names()
    )


def test_imports_fit_and_breakdown_on_postgres(pg_engine: Engine, tmp_path: Path) -> None:
    company = generate(customers=300, seed=9)
    assert import_customers(pg_engine, company.customers_csv).inserted == 300
    first = import_transactions(pg_engine, company.transactions_csv)
    assert first.committed and first.inserted == company.transactions
    again = import_transactions(pg_engine, company.transactions_csv)
    assert again.inserted == 0 and again.skipped_count == company.transactions
    bad = import_transactions(pg_engine, b"customer_id,timestamp,amount\nC-1000,2025-01-01,x\n")
    assert not bad.committed

    service = ValueService(CustomerStore(pg_engine), _NoCitations())
    info = service.ensure_fit()
    assert info.customers == 300 and info.transactions == company.transactions
    breakdown = service.breakdown("c-1042")
    assert breakdown is not None and breakdown.customer_id == "C-1042"
    assert 0.0 <= breakdown.score.p_alive <= 1.0
    service.store.set_role(5_000_000_000, "manager")  # Telegram ids exceed 32 bits
    assert service.store.role(5_000_000_000) == "manager"
    service.store.audit(5_000_000_000, "C-1042", "breakdown")
    assert service.store.audit_log(1)[0].user_id == 5_000_000_000


def test_processes_starting_together_migrate_once(pg_engine: Engine) -> None:
    """Two bot processes on one empty database: without a lock both create the tables."""
    from concurrent.futures import ThreadPoolExecutor

    downgrade(pg_engine, "base")
    url = pg_engine.url.render_as_string(hide_password=False)
    with ThreadPoolExecutor(max_workers=4) as pool:
        engines = list(pool.map(lambda _: make_engine(url), range(4)))
    assert all(current_revision(e) == "0005" for e in engines)
    for engine in engines:
        engine.dispose()
