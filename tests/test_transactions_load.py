"""Issue 13: a good transactions file is checked a block at a time and written straight into
the table (indexes set aside for a large load, rebuilt after); a file any block of which
fails goes to the row path with nothing written. SQLite and PostgreSQL, real databases."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select, text

from bot.customers import transactions_columns, transactions_import
from bot.customers.csv_import import import_customers
from bot.customers.demo import DemoCompany, generate
from bot.customers.store import TRANSACTION
from bot.customers.transactions_import import import_transactions
from bot.customers.transactions_load import DirectLoad, load_transaction
from bot.read_ahead import read_ahead
from bot.storage.repository import make_engine
from tests.postgres import postgres_server

SMALL_BLOCKS = 4096  # bytes: the demo file spans a dozen blocks


@pytest.fixture(scope="module")
def company() -> DemoCompany:
    return generate(customers=300, seed=4)


@pytest.fixture()
def small_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(transactions_columns, "BLOCK_BYTES", SMALL_BLOCKS)


def _sqlite(tmp_path: Path, name: str, company: DemoCompany) -> Engine:
    engine = make_engine(f"sqlite:///{tmp_path / name}.db")
    assert import_customers(engine, company.customers_csv).committed
    return engine


def _stored(engine: Engine) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        columns = [c for c in TRANSACTION.columns if c.name != "id"]
        return [tuple(row) for row in conn.execute(select(*columns).order_by(TRANSACTION.c.ref))]


def _schema(engine: Engine) -> list[tuple[Any, ...]]:
    """The table's indexes and constraints as the database itself describes them."""
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            query = (
                "SELECT name, sql FROM sqlite_master WHERE tbl_name = 'customer_transaction' "
                "ORDER BY name"
            )
        else:
            query = (
                "SELECT indexname, indexdef FROM pg_indexes "
                "WHERE tablename = 'customer_transaction' UNION ALL "
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = 'customer_transaction'::regclass ORDER BY 1"
            )
        return [tuple(row) for row in conn.execute(text(query))]


def _count_writes(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """The blocks written straight into the table, as they are written."""
    writes: list[object] = []
    real = DirectLoad.write
    monkeypatch.setattr(DirectLoad, "write", lambda self, b: writes.append(b) or real(self, b))
    return writes


def _lines(company: DemoCompany) -> list[str]:
    return company.transactions_csv.decode().splitlines()


def _csv(lines: list[str]) -> bytes:
    return ("\n".join(lines) + "\n").encode()


@pytest.mark.usefixtures("small_blocks")
@pytest.mark.parametrize("ids", [True, False], ids=["transaction-ids", "content-hashes"])
def test_a_file_in_many_blocks_stores_what_the_row_path_stores(
    tmp_path: Path, company: DemoCompany, monkeypatch: pytest.MonkeyPatch, ids: bool
) -> None:
    lines = _lines(company)
    if not ids:
        lines = [line.split(",", 1)[1] for line in lines]
    path = tmp_path / "tx.csv"
    path.write_bytes(_csv(lines))
    writes = _count_writes(monkeypatch)

    fast = _sqlite(tmp_path, "fast", company)
    fresh_schema = _schema(fast)
    report = import_transactions(fast, path)
    assert report.committed and report.inserted == report.rows == company.transactions
    assert len(writes) > 5  # many blocks, each written as it passed

    monkeypatch.setattr(transactions_import, "_checkable", lambda *a, **k: None)
    slow = _sqlite(tmp_path, "slow", company)
    assert import_transactions(slow, path.read_bytes()).inserted == company.transactions
    assert _stored(fast) == _stored(slow)
    assert _schema(fast) == fresh_schema  # the set-aside indexes are back, as defined
    with fast.connect() as conn:
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        plan = conn.execute(
            text("EXPLAIN QUERY PLAN SELECT * FROM customer_transaction WHERE customer_id = 'x'")
        ).all()
    assert "ix_customer_transaction_customer_id" in str(plan)


@pytest.mark.usefixtures("small_blocks")
def test_a_bad_row_in_a_late_block_writes_nothing_and_is_named(
    tmp_path: Path, company: DemoCompany, monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = _lines(company)
    bad_line = len(lines) - 3  # 1-based file line of lines[bad_line - 1]
    cells = lines[bad_line - 1].split(",")
    cells[3] = "12x"
    lines[bad_line - 1] = ",".join(cells)
    engine = _sqlite(tmp_path, "bad", company)
    before = _schema(engine)
    writes = _count_writes(monkeypatch)
    report = import_transactions(engine, _csv(lines))
    assert len(writes) > 5  # the earlier blocks went in before the bad one was met
    assert not report.committed
    assert [(e.line, e.code) for e in report.errors] == [(bad_line, "bad_amount")]
    assert _stored(engine) == []
    assert _schema(engine) == before
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1


@pytest.mark.usefixtures("small_blocks")
def test_a_transaction_twice_in_different_blocks(tmp_path: Path, company: DemoCompany) -> None:
    lines = _lines(company)
    twice = _csv([*lines, lines[1]])
    engine = _sqlite(tmp_path, "twice", company)
    report = import_transactions(engine, twice)
    assert report.committed and report.inserted == company.transactions
    assert [(s.line, s.code, s.value) for s in report.skipped] == [
        (len(lines) + 1, "duplicate_row", "2")
    ]
    cells = lines[1].split(",")
    cells[3] = "1.00"
    conflicting = _csv([*lines, ",".join(cells)])
    other = _sqlite(tmp_path, "conflicting", company)
    report = import_transactions(other, conflicting)
    assert not report.committed and report.errors[0].code == "conflicting_duplicate"
    assert _stored(other) == []


def test_indexes_are_set_aside_only_for_a_load_as_large_as_the_table(
    tmp_path: Path, company: DemoCompany
) -> None:
    lines = _lines(company)
    half = len(lines) // 2
    engine = _sqlite(tmp_path, "rule", company)
    assert import_transactions(engine, _csv(lines[:half])).inserted == half - 1
    stored = half - 1
    with load_transaction(engine) as conn:
        assert DirectLoad(conn, expected_rows=stored - 1).aside.drop == []
        large = DirectLoad(conn, expected_rows=stored).aside
        assert sorted(large.drop) == [
            'DROP INDEX "ix_customer_transaction_customer_id"',
            'DROP INDEX "ix_customer_transaction_day"',
        ]
        conn.rollback()
    # The whole file again: the first half is skipped as imported, the rest added.
    report = import_transactions(engine, company.transactions_csv)
    assert report.committed and report.inserted == company.transactions - stored
    assert [(s.code, s.value) for s in report.skipped] == [("already_imported", str(stored))]
    again = import_transactions(engine, company.transactions_csv)
    assert again.inserted == 0 and again.skipped_count == company.transactions


@pytest.mark.usefixtures("small_blocks")
def test_progress_counts_rows_to_the_end(tmp_path: Path, company: DemoCompany) -> None:
    calls: list[tuple[int, int]] = []
    engine = _sqlite(tmp_path, "progress", company)
    import_transactions(
        engine, company.transactions_csv, progress=lambda done, total: calls.append((done, total))
    )
    lines = company.transactions_csv.count(b"\n") + 1
    assert len(calls) > 5 and calls[-1] == (lines, lines)
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)


def test_read_ahead_keeps_order_and_raises_where_the_items_did() -> None:
    def items() -> Iterator[int]:
        yield from range(5)
        raise ValueError("bad block")

    got: list[int] = []
    with pytest.raises(ValueError, match="bad block"):
        for item in read_ahead(items()):
            got.append(item)
    assert got == [0, 1, 2, 3, 4]

    def endless() -> Iterator[int]:
        n = 0
        while True:
            yield n
            n += 1

    ahead = read_ahead(endless())
    assert [next(ahead) for _ in range(3)] == [0, 1, 2]
    ahead.close()  # the worker stops instead of filling memory
    assert not any(t.name == "cvm-read-ahead" for t in threading.enumerate())


# --- PostgreSQL ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def pg_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with postgres_server(tmp_path_factory.mktemp("pg-load")) as url:
        yield url


@pytest.mark.usefixtures("small_blocks")
def test_postgres_takes_the_same_rows_by_copy_and_merges_a_reimport(
    pg_url: str, tmp_path: Path, company: DemoCompany
) -> None:
    pg = make_engine(pg_url)
    assert import_customers(pg, company.customers_csv).committed
    fresh_schema = _schema(pg)
    lines = _lines(company)
    half = len(lines) // 2

    bad = list(lines)
    bad[-2] = bad[-2].replace(bad[-2].split(",")[2], "2100-01-01 00:00:00")
    report = import_transactions(pg, _csv(bad))
    assert not report.committed and report.errors[0].code == "future_date"
    assert _stored(pg) == [] and _schema(pg) == fresh_schema

    first = import_transactions(pg, _csv(lines[:half]))  # an empty table: indexes set aside
    assert first.committed and first.inserted == half - 1
    assert _schema(pg) == fresh_schema
    # COPY meets the refs already stored: the load is staged and merged instead.
    whole = import_transactions(pg, company.transactions_csv)
    assert whole.committed and whole.inserted == company.transactions - (half - 1)
    assert [(s.code, s.value) for s in whole.skipped] == [("already_imported", str(half - 1))]

    sqlite = _sqlite(tmp_path, "same", company)
    import_transactions(sqlite, company.transactions_csv)
    assert _stored(pg) == _stored(sqlite)
    assert _schema(pg) == fresh_schema
    with pg.connect() as conn, pytest.raises(Exception, match="foreign key"):
        conn.execute(
            text(
                "INSERT INTO customer_transaction (ref, customer_id, ts, day, amount) "
                "VALUES ('x', 'nobody', now(), 1, 1)"
            )
        )
    pg.dispose()


@pytest.mark.usefixtures("small_blocks")
def test_postgres_finds_refs_imported_before_late_in_the_file(
    pg_url: str, company: DemoCompany, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first block's refs are new, so COPY writes the whole file without the ref's
    unique index; putting it back meets the refs imported before: the load is rolled back
    and merged, and nothing is stored twice."""
    pg = make_engine(pg_url)
    with pg.begin() as conn:  # a database of its own: the module's server, emptied
        conn.execute(text("DELETE FROM customer_transaction"))
    import_customers(pg, company.customers_csv)
    fresh_schema = _schema(pg)
    header, *rows = _lines(company)
    old = rows[len(rows) // 2 :]
    assert import_transactions(pg, _csv([header, *old])).inserted == len(old)
    writes = _count_writes(monkeypatch)
    report = import_transactions(pg, _csv([header, *rows]))
    assert len(writes) > 5  # the direct load ran through before the constraint said no
    assert report.committed and report.inserted == len(rows) - len(old)
    assert [(s.code, s.value) for s in report.skipped] == [("already_imported", str(len(old)))]
    assert _schema(pg) == fresh_schema
    with pg.connect() as conn:
        stored = conn.execute(
            text("SELECT COUNT(*), COUNT(DISTINCT ref) FROM customer_transaction")
        )
        assert tuple(stored.one()) == (len(rows), len(rows))
    pg.dispose()


def test_arrow_text_and_scalars_from_buffers_equal_pyarrows() -> None:
    """`arrow_columns.strings` and `scalar` stand in for pa.array and pa.scalar, which
    import pandas; they must build the same values."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from bot.arrow_columns import scalar, strings

    texts = ["C-1", "", "甲公司", "é\x1fx", "C-1"]
    assert strings(texts).equals(pa.array(texts, pa.string()))
    assert strings([]).equals(pa.array([], pa.string()))
    assert len(strings(texts[1:2])) == 1 and strings(texts[1:2])[0].as_py() == ""
    assert scalar(0.0, pa.float64()).equals(pa.scalar(0.0, pa.float64()))
    assert scalar(86_400_000_000, pa.int64()).as_py() == 86_400_000_000
    assert scalar("", pa.string()).as_py() == "" and scalar(None, pa.string()).as_py() is None
    column = strings(texts)
    assert pc.equal(column, scalar("", pa.string())).to_pylist() == [
        False, True, False, False, False,
    ]  # fmt: skip
