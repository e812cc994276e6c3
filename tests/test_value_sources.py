"""The engine where the data lives (issue 13): one SQL summary that gives the NumPy
summary's numbers on SQLite and on DuckDB over CSV and Parquet files, with returns,
same-day purchases and time zones; `cvm value fit|score --source` and its refusals."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlalchemy import Engine, text

from bot.customers.csv_import import import_customers, parse_timestamp
from bot.customers.demo import generate
from bot.customers.store import CustomerStore
from bot.customers.transactions_import import import_transactions
from bot.storage.repository import make_engine
from tests.cli_run import run_cvm
from value_engine.sources.files import SourceError, summarize_source
from value_engine.sources.summary_sql import database_tx, summary_sql, to_summary
from value_engine.summary import CustomerSummary, summarize

MARGIN = 0.3
FIELDS = (
    "frequency", "recency", "age", "monetary", "purchases", "revenue", "profit",
    "profit_last_period", "profit_previous_period", "first_day", "days_since_last",
)  # fmt: skip
# Late-evening and early-morning purchases with offsets: the UTC day differs from the local
# one, and two of them fall on one UTC day with another purchase (one occasion, not two).
ZONED = [
    ("T-Z1", "C-1001", "2026-09-20T23:30:00+08:00", "120.00", ""),  # UTC 15:30, same day
    ("T-Z2", "C-1001", "2026-09-21T01:30:00+08:00", "80.00", ""),  # UTC 17:30 on the 20th
    ("T-Z3", "C-1002", "2026-09-21T02:00:00-05:00", "55.50", "10.00"),  # UTC 07:00
    ("T-Z4", "C-1002", "2026-09-21T12:00:00Z", "-20.00", "-4.00"),  # a return, same day
]


@pytest.fixture(scope="module")
def company_csv() -> bytes:
    company = generate(customers=400, seed=13)
    out = io.StringIO()
    out.write(company.transactions_csv.decode())
    writer = csv.writer(out, lineterminator="\n")
    for row in ZONED:
        writer.writerow(row)
    return out.getvalue().encode()


@pytest.fixture(scope="module")
def database(
    tmp_path_factory: pytest.TempPathFactory, company_csv: bytes
) -> tuple[Engine, list[str], CustomerSummary, int]:
    """The reference: the CSV import into SQLite, then the NumPy summary."""
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('src') / 's.db'}")
    import_customers(engine, generate(customers=400, seed=13).customers_csv)
    report = import_transactions(engine, company_csv)
    assert report.committed and report.inserted == company_csv.count(b"\n") - 1
    store = CustomerStore(engine, default_margin=MARGIN)
    loaded = store.load()
    reference = summarize(loaded.log, len(loaded.customer_ids), loaded.as_of_day)
    return engine, loaded.customer_ids, reference, loaded.as_of_day


def _assert_same(
    ids: list[str], got: CustomerSummary, reference_ids: list[str], reference: CustomerSummary
) -> None:
    position = {cid: i for i, cid in enumerate(reference_ids)}
    rows = np.array([position[c] for c in ids])
    assert reference.has_purchase[rows].all()
    for name in FIELDS:
        ours, theirs = getattr(got, name), getattr(reference, name)[rows]
        assert np.allclose(ours, theirs, rtol=1e-12, atol=1e-9), name


def test_the_sql_summary_on_sqlite_equals_the_numpy_summary(
    database: tuple[Engine, list[str], CustomerSummary, int],
) -> None:
    engine, ids, reference, as_of = database
    with engine.connect() as conn:
        result = conn.execute(text(summary_sql(as_of, database_tx(MARGIN))))
        names = list(result.keys())
        rows = result.all()
    columns = {n: np.array([r[i] for r in rows]) for i, n in enumerate(names)}
    got = to_summary(
        {k: v.astype(np.float64) for k, v in columns.items() if k != "customer_id"},
        as_of,
        True,
    )
    _assert_same([str(c) for c in columns["customer_id"]], got, ids, reference)


def test_duckdb_over_csv_and_parquet_equals_the_numpy_summary(
    database: tuple[Engine, list[str], CustomerSummary, int],
    company_csv: bytes,
    tmp_path: Path,
) -> None:
    _, ids, reference, as_of = database
    plain = tmp_path / "tx.csv"
    plain.write_bytes(company_csv)
    from_csv = summarize_source(plain, MARGIN)
    assert from_csv.as_of_day == as_of and len(from_csv.customer_ids) == 400
    _assert_same(from_csv.customer_ids, from_csv.summary, ids, reference)

    # A folder of two Parquet files, timestamps as real UTC timestamps in one column type.
    rows = list(csv.DictReader(io.StringIO(company_csv.decode())))
    moments = [parse_timestamp(r["timestamp"]) for r in rows]  # naive UTC, as imported
    table = pa.table(
        {
            "customer_id": [r["customer_id"] for r in rows],
            "timestamp": pa.array(moments, type=pa.timestamp("us")).cast(
                pa.timestamp("us", tz="UTC")
            ),
            "amount": [float(r["amount"]) for r in rows],
            "gross_margin": [float(r["gross_margin"]) if r["gross_margin"] else None for r in rows],
        }
    )
    folder = tmp_path / "lake"
    folder.mkdir()
    half = table.num_rows // 2
    pq.write_table(table.slice(0, half), folder / "part-0.parquet")
    pq.write_table(table.slice(half), folder / "part-1.parquet")
    from_parquet = summarize_source(folder, MARGIN)
    _assert_same(from_parquet.customer_ids, from_parquet.summary, ids, reference)
    # Had an offset been ignored, T-Z2 (01:30 at +08:00) would be an occasion of its own
    # on the 21st and C-1001's purchases would differ from the reference above.


def test_a_source_fit_runs_the_holdout_test_the_bots_own_fit_runs(
    database: tuple[Engine, list[str], CustomerSummary, int], company_csv: bytes, tmp_path: Path
) -> None:
    """`cvm value fit --source` tests its own method on the last quarter, as the bot's fits
    do: the engine's grouped holdout equals `holdout.backtest` on the imported rows."""
    from value_engine.holdout import backtest
    from value_engine.sources.files import DuckSource

    engine, _, _, as_of = database
    loaded = CustomerStore(engine, default_margin=MARGIN).load()
    reference = backtest(loaded.log, len(loaded.customer_ids), as_of, 7.0)
    assert reference is not None
    plain = tmp_path / "tx.csv"
    plain.write_bytes(company_csv)
    with DuckSource(plain, MARGIN) as source:
        models = source.fit()
        assert source.fit(backtest=False).holdout is None
    got = models.holdout
    assert got is not None
    assert (got.days, got.customers, got.actual) == (
        reference.days, reference.customers, reference.actual,
    )  # fmt: skip
    assert got.predicted == pytest.approx(reference.predicted, rel=1e-6)
    assert got.mean_absolute_error == pytest.approx(reference.mean_absolute_error, rel=1e-6)
    assert [row[:2] for row in got.by_frequency] == [row[:2] for row in reference.by_frequency]
    for ours, theirs in zip(got.by_frequency, reference.by_frequency, strict=True):
        assert ours[2:] == pytest.approx(theirs[2:], rel=1e-6)
    assert models.quality.holdout_days == reference.days

    fit = run_cvm(tmp_path, "value", "fit", "--source", str(plain))
    assert fit.returncode == 0 and "x= 0:" in fit.stdout and "predicted" in fit.stdout


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        ("customer_id,amount\nC1,3\n", "a.csv", "missing columns: timestamp"),
        ("customer_id,timestamp,amount\nC1,2026-01-01,x\n", "b.csv", "1 bad amount"),
        ("customer_id,timestamp,amount\nC1,yesterday,3\n", "c.csv", "1 bad date"),
        ("customer_id,timestamp,amount\n,2026-01-01,3\n", "d.csv", "1 bad customer id"),
        ("whatever", "e.xlsx", "expected a .parquet or .csv file"),
    ],
)
def test_a_bad_source_is_refused_in_one_line(
    tmp_path: Path, content: str, name: str, message: str
) -> None:
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(SourceError, match=message):
        summarize_source(path)


def test_cvm_value_fit_and_score_on_files(company_csv: bytes, tmp_path: Path) -> None:
    source = tmp_path / "tx.csv"
    source.write_bytes(company_csv)
    fit = run_cvm(tmp_path, "value", "fit", "--source", str(source), "--json")
    assert fit.returncode == 0, fit.stderr
    data = json.loads(fit.stdout)
    assert set(data) == {"bgnbd", "gamma_gamma", "quality"}  # as `value fit --summary --json`
    assert data["bgnbd"]["r"] > 0 and data["quality"]["notes"] is not None
    out = tmp_path / "scores.parquet"
    score = run_cvm(
        tmp_path, "value", "score", "--source", str(source), "--horizon", "52",
        "--discount-rate", "0.002", "--out", str(out),
    )  # fmt: skip
    assert score.returncode == 0, score.stderr
    table = pq.read_table(out)
    assert table.num_rows == 400 and table.column_names[:2] == ["customer_id", "expected_purchases"]
    p_alive = table.column("p_alive").to_numpy()
    assert ((p_alive >= 0) & (p_alive <= 1)).all()

    bad = tmp_path / "bad.csv"
    bad.write_text("customer_id,timestamp,amount\nC1,2026-01-01,oops\n")
    refused_out = tmp_path / "never.csv"
    refused = run_cvm(
        tmp_path, "value", "score", "--source", str(bad), "--horizon", "52",
        "--discount-rate", "0.002", "--out", str(refused_out),
    )  # fmt: skip
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert refused.stderr.count("\n") == 1 and "1 row: invalid amount “oops”" in refused.stderr
    assert not refused_out.exists()
    missing = run_cvm(tmp_path, "value", "fit", "--source", str(tmp_path / "nowhere"))
    assert missing.returncode == 2 and "no such file or folder" in missing.stderr
