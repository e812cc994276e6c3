"""The same storage and value paths on a real PostgreSQL server (DATABASE_URL=postgresql+psycopg://...)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, inspect, text

from bot.customers.csv_import import import_customers
from bot.customers.demo import generate
from bot.customers.service import ValueService
from bot.customers.store import CustomerStore
from bot.customers.transactions_import import import_transactions
from bot.storage.migrate import SchemaMismatch, current_revision, downgrade, head_revision, upgrade
from bot.storage.repository import make_engine, open_database
from tests.postgres import postgres_server

pytestmark = pytest.mark.postgres
ROOT = Path(__file__).resolve().parents[1]


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
    assert current_revision(pg_engine) == head_revision()
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


def test_survey_imports_and_analyses_on_postgres(pg_engine: Engine) -> None:
    from bot.surveys.demo import generate as generate_surveys
    from bot.surveys.service import SurveyService
    from bot.surveys.store import SurveyStore
    from value_engine.survey.models import Instrument

    company = generate(customers=300, seed=9)  # imported by the test above, or now
    import_customers(pg_engine, company.customers_csv)
    import_transactions(pg_engine, company.transactions_csv)
    value = ValueService(CustomerStore(pg_engine), _NoCitations())
    surveys = SurveyService(SurveyStore(pg_engine), _NoCitations(), value)
    files = generate_surveys(company).files
    for data in files.values():
        assert surveys.import_file(data).committed
    again = surveys.import_file(files[Instrument.KANO])
    assert again.inserted == 0 and again.updated == 0
    # One changed answer replaces that respondent's row (a delete by composite key).
    header, first, *rest = files[Instrument.KANO].decode().splitlines()
    changed = first.rsplit(",", 2)[0] + ",1,1"
    report = surveys.import_file("\n".join([header, changed, *rest]).encode())
    assert (report.inserted, report.updated) == (0, 1)
    kano = surveys.result(Instrument.KANO).kano
    assert kano is not None and sum(kano.features[0].counts.values()) == kano.respondents
    delivered = surveys.result(Instrument.DELIVERED).delivered
    assert delivered is not None and delivered.link is not None
    equity = surveys.result(Instrument.EQUITY).equity
    assert equity is not None and sum(d.weight for d in equity.drivers) == pytest.approx(equity.r2)


def test_the_sql_summary_on_postgres_equals_the_numpy_summary(pg_engine: Engine) -> None:
    """Issue 13: the one summary query gives the NumPy summary's numbers on PostgreSQL."""
    import numpy as np

    from value_engine.sources.summary_sql import database_tx, summary_sql, to_summary
    from value_engine.summary import summarize

    company = generate(customers=300, seed=9)
    import_customers(pg_engine, company.customers_csv)
    import_transactions(pg_engine, company.transactions_csv)
    loaded = CustomerStore(pg_engine, default_margin=0.3).load()
    reference = summarize(loaded.log, len(loaded.customer_ids), loaded.as_of_day)
    with pg_engine.connect() as conn:
        result = conn.execute(text(summary_sql(loaded.as_of_day, database_tx(0.3))))
        names = list(result.keys())
        rows = result.all()
    columns = {n: np.array([r[i] for r in rows]) for i, n in enumerate(names)}
    got = to_summary(
        {k: v.astype(np.float64) for k, v in columns.items() if k != "customer_id"},
        loaded.as_of_day,
        True,
    )
    position = np.array([loaded.customer_ids.index(c) for c in columns["customer_id"]])
    for name in ("frequency", "recency", "age", "monetary", "revenue", "profit",
                 "profit_last_period", "profit_previous_period"):  # fmt: skip
        assert np.allclose(getattr(got, name), getattr(reference, name)[position]), name


def test_processes_starting_together_migrate_once(pg_engine: Engine) -> None:
    """Two bot processes on one empty database: without a lock both create the tables."""
    from concurrent.futures import ThreadPoolExecutor

    downgrade(pg_engine, "base")
    url = pg_engine.url.render_as_string(hide_password=False)
    with ThreadPoolExecutor(max_workers=4) as pool:
        engines = list(pool.map(lambda _: make_engine(url), range(4)))
    assert all(current_revision(e) == head_revision() for e in engines)
    for engine in engines:
        engine.dispose()


def _cli_env(pg_engine: Engine, tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "TELEGRAM_BOT_TOKEN"}
    env.update(
        DATABASE_URL=pg_engine.url.render_as_string(hide_password=False),
        DATA_DIR=str(tmp_path / "data"),
        INDEX_DIR=str(tmp_path / "index"),
        LOG_LEVEL="WARNING",
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    )
    return env


def test_an_older_schema_is_refused_until_cvm_db_upgrade(pg_engine: Engine, tmp_path: Path) -> None:
    url = pg_engine.url.render_as_string(hide_password=False)
    downgrade(pg_engine, "0004")
    with pytest.raises(SchemaMismatch, match="revision 0004"):
        open_database(url)
    env = _cli_env(pg_engine, tmp_path)
    refused = subprocess.run(
        ["cvm", "users", "list"], env=env, capture_output=True, text=True, timeout=120
    )
    assert refused.returncode == 2 and "run `cvm db upgrade`" in refused.stderr
    done = subprocess.run(
        ["cvm", "db", "upgrade"], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.stdout.strip() == f"database schema: 0004 -> {head_revision()}", done.stderr
    open_database(url).dispose()


def test_backup_and_restore_procedure_of_the_deploy_readme(
    pg_engine: Engine, tmp_path: Path
) -> None:
    """deploy/README.md's procedure, run as written: dump, lose data, restore, rebuild."""
    readme = (ROOT / "deploy" / "README.md").read_text(encoding="utf-8")
    assert "deploy/backup.sh backup" in readme and "deploy/backup.sh restore" in readme
    store = CustomerStore(pg_engine)
    if store.customer_count() == 0:
        company = generate(customers=50, seed=3)
        import_customers(pg_engine, company.customers_csv)
        import_transactions(pg_engine, company.transactions_csv)
    store.set_role(4242, "manager")
    with pg_engine.connect() as connection:
        before = connection.execute(text("SELECT count(*) FROM customer_transaction")).scalar()
    assert before

    env = _cli_env(pg_engine, tmp_path)
    dump = tmp_path / "cvm.dump"

    def backup_sh(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["bash", str(ROOT / "deploy" / "backup.sh"), *args],
            env=env, cwd=ROOT, capture_output=True, text=True, timeout=600,
        )  # fmt: skip

    made = backup_sh("backup", str(dump))
    assert made.returncode == 0, made.stderr
    assert dump.stat().st_size > 0

    with pg_engine.begin() as connection:  # the accident
        connection.execute(text("DELETE FROM customer_transaction"))
    store.set_role(4242, None)

    restored = backup_sh("restore", str(dump))
    assert restored.returncode == 0, restored.stderr
    assert "(up to date)" in restored.stdout and "indexed" in restored.stdout
    assert (tmp_path / "index").is_dir() and any((tmp_path / "index").iterdir())
    pg_engine.dispose()  # connections from before the restore hold dropped tables' plans
    with pg_engine.connect() as connection:
        after = connection.execute(text("SELECT count(*) FROM customer_transaction")).scalar()
    assert after == before
    assert CustomerStore(pg_engine).role(4242) == "manager"
    assert current_revision(pg_engine) == head_revision()
    assert backup_sh("restore", str(tmp_path / "missing.dump")).returncode == 2


def test_published_scores_on_postgres(pg_engine: Engine, tmp_path: Path) -> None:
    """`cvm value publish` into PostgreSQL: rows, quarters and new customers in one
    transaction; then `cvm value fit` gives the bot's own data back."""
    company = generate(customers=300, seed=9)
    source = tmp_path / "tx.csv"
    source.write_bytes(company.transactions_csv)
    env = _cli_env(pg_engine, tmp_path)
    with pg_engine.begin() as connection:  # a served customer the bot has never seen
        connection.execute(text("DELETE FROM customer_score"))
        connection.execute(text("DELETE FROM customer_transaction WHERE customer_id = 'C-1001'"))
        connection.execute(text("DELETE FROM customer WHERE id = 'C-1001'"))

    def cvm(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["cvm", *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=300
        )

    done = cvm("value", "publish", "--source", str(source), "--all")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("serving 300 of 300 customers")
    service = ValueService(CustomerStore(pg_engine), _NoCitations())
    assert service.ensure_fit().source == f"duckdb:{source}"
    breakdown = service.breakdown("C-1001")
    assert (
        breakdown is not None and breakdown.name == "" and any(p.revenue for p in breakdown.history)
    )
    with pg_engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM customer_score")).scalar() == 300
        assert connection.execute(text("SELECT count(*) FROM customer_period")).scalar() > 300
    import_transactions(pg_engine, company.transactions_csv)  # the bot's own data again
    assert cvm("value", "fit").returncode == 0
    assert ValueService(CustomerStore(pg_engine), _NoCitations()).ensure_fit().source is None
