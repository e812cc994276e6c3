"""The bot serving scores computed where the data lives (issue 13): `cvm value publish`
ranks everyone in the warehouse's engine, scores everyone there, and fills the bot's
`customer_score` (and the served customers' quarters) for the customers it serves, so
`/customer` stays a few primary-key reads and shows what the bot's own fit would."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

import duckdb
import numpy as np
import pytest
from sqlalchemy import Engine, func, select

from bot.customers.csv_import import import_customers
from bot.customers.demo import generate
from bot.customers.service import ValueService
from bot.customers.store import SCORE, CustomerStore
from bot.customers.transactions_import import import_transactions
from bot.storage.repository import make_engine
from value_engine import measures
from value_engine.models import RfmSegment
from value_engine.sources.files import DuckSource
from value_engine.sources.served_sql import ranked_sql
from value_engine.summary import summarize

ROOT = Path(__file__).resolve().parents[1]
MARGIN = 0.3  # the default margin the settings and the bot's store agree on here


class _NoCitations:
    def find(self, doc_prefix: str, quote: str) -> None:
        return None


@pytest.fixture(scope="module")
def company_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A company's transactions as a Parquet file (the warehouse) and its customer list."""
    folder = tmp_path_factory.mktemp("warehouse")
    company = generate(customers=600, seed=21)
    (folder / "customers.csv").write_bytes(company.customers_csv)
    (folder / "tx.csv").write_bytes(company.transactions_csv)
    con = duckdb.connect()
    con.execute(
        f"COPY (SELECT * FROM read_csv('{folder / 'tx.csv'}', header = true, all_varchar = true)) "
        f"TO '{folder / 'tx.parquet'}' (FORMAT parquet)"
    )
    con.close()
    return folder / "tx.parquet", folder / "customers.csv"


@pytest.fixture(scope="module")
def own_fit(
    tmp_path_factory: pytest.TempPathFactory, company_files: tuple[Path, Path]
) -> ValueService:
    """The reference: the same company imported into the bot and fitted by the bot."""
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('own') / 'own.db'}")
    import_customers(engine, company_files[1].read_bytes())
    report = import_transactions(engine, (company_files[1].parent / "tx.csv").read_bytes())
    assert report.committed
    service = ValueService(CustomerStore(engine, default_margin=MARGIN), _NoCitations())
    service.ensure_fit()
    return service


def _cvm(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("TELEGRAM_BOT_TOKEN", "DATABASE_URL")}
    env.update(DATA_DIR=str(data_dir), LOG_LEVEL="WARNING", VALUE_DEFAULT_MARGIN=str(MARGIN))
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args], env=env, cwd=ROOT, capture_output=True,
        text=True, timeout=300,
    )  # fmt: skip


def _rows(engine: Engine) -> dict[str, dict[str, object]]:
    with engine.connect() as conn:
        return {str(r["customer_id"]): dict(r) for r in conn.execute(select(SCORE)).mappings()}


def test_the_ranks_in_sql_are_numpys(
    company_files: tuple[Path, Path], own_fit: ValueService
) -> None:
    """RFM quintiles (average ranks, ties shared), Pareto tiers and segments computed by
    DuckDB's window functions equal `measures` on the same customers, tie for tie."""
    with DuckSource(company_files[0], MARGIN) as source:
        got = source.con.execute(
            f"SELECT * FROM ({ranked_sql('summary', source.as_of_day)}) ORDER BY customer_id"
        ).fetchnumpy()
    data = own_fit.store.load()
    summary = summarize(data.log, len(data.customer_ids), data.as_of_day)
    assert [str(c) for c in got["customer_id"]] == data.customer_ids  # everyone bought
    r, f, m = measures.rfm_scores(
        summary.days_since_last, summary.purchases.astype(float), summary.revenue
    )
    assert np.unique(summary.purchases).size < summary.purchases.size / 5  # ties to share
    assert np.array_equal(got["r_score"], r)
    assert np.array_equal(got["f_score"], f)
    assert np.array_equal(got["m_score"], m)
    tiers = measures.pareto_tiers(summary.profit)
    assert np.array_equal(got["tier"].astype(str), tiers)
    assert set(tiers) == {"A", "B", "C"}
    segments = measures.rfm_segments(r, f, m, summary.has_purchase)
    assert np.array_equal(got["segment"].astype(str), segments)
    assert len(set(segments)) >= 6
    scalar = [measures.rfm_segment(int(a), int(b), int(c)) for a, b, c in zip(r, f, m, strict=True)]
    assert [s.value for s in scalar] == list(segments)


def test_published_scores_are_what_the_bot_would_compute_itself(
    company_files: tuple[Path, Path], own_fit: ValueService, tmp_path: Path
) -> None:
    """Every customer published (--all) into a bot that has their names and referrals but
    none of their transactions: the same rows, segments and quarterly history as the
    bot's own fit on the imported transactions."""
    data_dir = tmp_path / "data"
    assert _cvm(data_dir, "import", "customers", str(company_files[1])).returncode == 0
    done = _cvm(data_dir, "value", "publish", "--source", str(company_files[0]), "--all", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["served"] == report["customers"] == 600
    assert report["source"] == f"duckdb:{company_files[0]}"

    engine = make_engine(f"sqlite:///{data_dir / 'cvm.db'}")
    published = ValueService(CustomerStore(engine, default_margin=MARGIN), _NoCitations())
    ours, theirs = _rows(engine), _rows(own_fit.store.engine)
    assert set(ours) == set(theirs) and len(ours) == 600
    influenced = 0
    for customer_id, row in theirs.items():
        got = ours[customer_id]
        for key, value in row.items():
            if key == "fit_id":
                continue
            if isinstance(value, float):
                assert got[key] == pytest.approx(value, rel=1e-6, abs=1e-6), (customer_id, key)
            else:
                assert got[key] == value, (customer_id, key)
        influenced += row["influence_value"] > 0  # type: ignore[operator]
    assert influenced > 10  # referrals came from the bot's customer list

    own_info, info = own_fit.ensure_fit(), published.ensure_fit()
    assert info.source == f"duckdb:{company_files[0]}" and not info.refitted
    assert info.customers == 600 and info.transactions == own_info.transactions
    assert [s.segment for s in info.segments] == [s.segment for s in own_info.segments]
    for a, b in zip(info.segments, own_info.segments, strict=True):
        assert {**asdict(a), "segment": 0} == pytest.approx({**asdict(b), "segment": 0}, rel=1e-6)
    for customer_id in ("C-1000", "C-1077", "C-1599"):
        mine, reference = published.breakdown(customer_id), own_fit.breakdown(customer_id)
        assert mine is not None and reference is not None
        assert [(p.period, round(p.revenue, 6), round(p.profit, 6)) for p in mine.history] == [
            (p.period, round(p.revenue, 6), round(p.profit, 6)) for p in reference.history
        ]
        assert mine.name == reference.name and mine.segment_stats is not None


def test_the_bot_serves_the_chosen_customers_until_told_otherwise(
    company_files: tuple[Path, Path], tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    source = str(company_files[0])

    top = _cvm(data_dir, "value", "publish", "--source", source, "--top", "25")
    assert top.returncode == 0, top.stderr
    assert top.stdout.startswith("serving 25 of 600 customers")
    engine = make_engine(f"sqlite:///{data_dir / 'cvm.db'}")
    rows = _rows(engine)
    with DuckSource(company_files[0], MARGIN) as warehouse:
        best = warehouse.con.execute(
            "SELECT customer_id FROM summary ORDER BY profit DESC, customer_id LIMIT 25"
        ).fetchall()
    assert set(rows) == {str(c) for (c,) in best}
    service = ValueService(CustomerStore(engine, default_margin=MARGIN), _NoCitations())
    first = max(rows.values(), key=lambda r: r["realized_value"])  # type: ignore[arg-type, return-value]
    breakdown = service.breakdown(str(first["customer_id"]))
    assert breakdown is not None and breakdown.name == ""  # known to the bot by id only
    assert any(p.profit for p in breakdown.history)  # its quarters came with it
    assert service.top(3)[0][0].customer_id == first["customer_id"]
    assert sum(s.customers for s in service.segments()) == 600  # everyone's segments

    # Naming the customers (an import bumps the revision) does not replace the published
    # scores with a fit of the bot's own: they stay until the next publish.
    names = "customer_id,name\n" + "".join(f"{c},Name of {c}\n" for c in rows)
    (tmp_path / "names.csv").write_text(names)
    assert _cvm(data_dir, "import", "customers", str(tmp_path / "names.csv")).returncode == 0
    assert set(_rows(engine)) == set(rows)
    again = service.breakdown(str(first["customer_id"]))
    assert again is not None and again.name == f"Name of {first['customer_id']}"

    segment = _cvm(
        data_dir, "value", "publish", "--source", source, "--segment", "at_risk", "--top", "5"
    )
    assert segment.returncode == 0, segment.stderr
    at_risk = _rows(engine)
    assert 0 < len(at_risk) <= 5 and {r["segment"] for r in at_risk.values()} == {"at_risk"}

    # Transactions imported into the bot do not replace them either ...
    customers, transactions = company_files[1], company_files[1].parent / "tx.csv"
    assert _cvm(data_dir, "import", "customers", str(customers)).returncode == 0
    imported = _cvm(data_dir, "import", "transactions", str(transactions))
    assert imported.returncode == 0 and f"published from duckdb:{source} stay" in imported.stdout
    assert set(_rows(engine)) == set(at_risk)
    # ... `cvm value fit` is the way back to the bot's own data.
    assert _cvm(data_dir, "value", "fit").returncode == 0
    assert service.ensure_fit().source is None
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(SCORE)).scalar_one() == 600


def test_publish_refuses_an_unclear_request_in_one_line(
    company_files: tuple[Path, Path], tmp_path: Path
) -> None:
    source = str(company_files[0])
    cases = [
        (("--source", source), "--top N, --segment S or --all"),
        (("--source", source, "--all", "--top", "3"), "leave out --top and --segment"),
        (("--source", source, "--top", "0"), "--top must be at least 1"),
        (("--source", str(tmp_path / "nowhere"), "--all"), "no such file or folder"),
    ]
    for args, message in cases:
        done = _cvm(tmp_path / "data", "value", "publish", *args)
        assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
        assert done.stderr.count("\n") == 1 and message in done.stderr, done.stderr
    long_ids = tmp_path / "long.csv"
    long_ids.write_text(
        "customer_id,timestamp,amount\n" + f"{'C' * 70},2026-01-01,5\n{'C' * 70},2026-02-01,6\n"
    )
    refused = _cvm(tmp_path / "data", "value", "publish", "--source", str(long_ids), "--all")
    # Refused by the import's id rule (value_engine.row_rules), as `cvm import` refuses it.
    assert refused.returncode == 2 and "2 rows: invalid customer ID" in refused.stderr
    bad_segment = _cvm(tmp_path / "data", "value", "publish", "--source", source, "--segment", "x")
    assert bad_segment.returncode == 2 and "invalid choice" in bad_segment.stderr
    engine = make_engine(f"sqlite:///{tmp_path / 'data' / 'cvm.db'}")
    assert _rows(engine) == {}  # nothing was written


def test_every_segment_value_is_selectable() -> None:
    assert {s.value for s in RfmSegment} == {
        s.value for row in measures.SEGMENT_GRID.values() for s in row
    } | {"new"}


async def test_a_manager_reads_a_published_customer_through_the_dispatcher(
    company_files: tuple[Path, Path], tmp_path: Path, index_dir: Path
) -> None:
    """/customer over published scores: the card, its chart, and a transactions button
    that says where the transactions are instead of "0 in all"."""
    from aiogram import Bot
    from aiogram.client.default import DefaultBotProperties
    from aiogram.enums import ParseMode

    from bot.config import Settings
    from bot.factory import build_dispatcher, build_services
    from bot.runners.terminal import TERMINAL_TOKEN, TerminalSession
    from tests.conftest import MANAGER_ID
    from tests.test_customer_handlers import MANAGER_EN, _message, _press, _texts

    data_dir = tmp_path / "data"
    done = _cvm(data_dir, "value", "publish", "--source", str(company_files[0]), "--top", "3")
    assert done.returncode == 0, done.stderr
    settings = Settings(  # type: ignore[call-arg]
        data_dir=data_dir, index_dir=index_dir, _env_file=None, value_default_margin=MARGIN
    )
    services = build_services(settings)
    services.value.store.set_role(MANAGER_ID, "manager")
    (first, _, _), *_ = services.value.top(1)
    session = TerminalSession(io.StringIO())
    bot = Bot(
        TERMINAL_TOKEN, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML)
    )
    dp = build_dispatcher(services)
    await dp.feed_update(bot, _message(f"/customer {first.customer_id}", MANAGER_EN))
    await dp.feed_update(bot, _press(f"cu:tx:{first.customer_id}", MANAGER_EN))
    card, transactions = _texts(session)
    assert f"Customer {first.customer_id}" in card and f"{first.realized_value:,.0f}" in card
    assert [name for name, _ in session.calls].count("sendPhoto") == 1
    assert "stay where the company's data lives" in transactions and "in all" not in transactions
