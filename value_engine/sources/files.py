"""Transactions in Parquet or CSV files, summarised by an embedded DuckDB.

A data engineer points the engine at the files the warehouse already exports: one file,
or a directory of them, with the columns of the CSV import (customer_id, timestamp,
amount, optional gross_margin or cost). DuckDB reads them in parallel and out of core,
and runs the one summary query (`summary_sql`), so a hundred million rows become one row
per customer without passing through Python. Timestamps with an offset are converted to
UTC and naive ones are taken as UTC, as the CSV import does.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np

from value_engine.sources.summary_sql import summary_sql, to_summary
from value_engine.summary import CustomerSummary

REQUIRED = ("customer_id", "timestamp", "amount")
OPTIONAL = ("gross_margin", "cost")
SUFFIXES = {".parquet": "parquet", ".pq": "parquet", ".csv": "csv", ".txt": "csv"}


class SourceError(ValueError):
    """The source cannot be summarised; the message says why in one line."""


@dataclass(frozen=True, slots=True)
class SourceSummary:
    customer_ids: list[str]
    summary: CustomerSummary
    as_of_day: int
    transactions: int


def _files(path: Path) -> tuple[str, str]:
    """(DuckDB file pattern, format) for a file or a directory of one format."""
    if path.is_dir():
        for suffix, kind in SUFFIXES.items():
            if any(path.glob(f"*{suffix}")):
                return str(path / f"*{suffix}"), kind
        raise SourceError(f"{path}: no .parquet or .csv files in this folder")
    if not path.exists():
        raise SourceError(f"{path}: no such file or folder")
    found = SUFFIXES.get(path.suffix.lower())
    if found is None:
        raise SourceError(f"{path}: expected a .parquet or .csv file (or a folder of them)")
    return str(path), found


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def open_source(path: Path, default_margin: float, threads: int | None = None):  # type: ignore[no-untyped-def]
    """A DuckDB connection with the view `tx(customer_id, day, amount, profit)` over the
    files, after every row was checked; SourceError names the first problem."""
    pattern, kind = _files(path)
    con = duckdb.connect(":memory:")
    con.execute("SET TimeZone = 'UTC'")
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    reader = (
        f"read_parquet({_quote(pattern)})"
        if kind == "parquet"
        else f"read_csv({_quote(pattern)}, header = true, all_varchar = true)"
    )
    try:
        described = con.execute(f"DESCRIBE SELECT * FROM {reader}").fetchall()
        columns = [str(row[0]) for row in described]
    except duckdb.Error as exc:
        raise SourceError(f"{path}: cannot read it ({str(exc).splitlines()[0]})") from None
    names = {c.strip().lower(): c for c in columns}
    missing = [c for c in REQUIRED if c not in names]
    if missing:
        raise SourceError(f"{path}: missing columns: {', '.join(missing)}")

    def col(name: str) -> str:
        return '"' + names[name].replace('"', '""') + '"'

    margin = (
        f"TRY_CAST({col('gross_margin')} AS DOUBLE)" if "gross_margin" in names else "NULL"
    )
    cost = f"TRY_CAST({col('cost')} AS DOUBLE)" if "cost" in names else "NULL"
    con.execute(
        f"""CREATE TEMP VIEW raw AS SELECT
            TRIM(CAST({col("customer_id")} AS VARCHAR)) AS customer_id,
            CAST({col("timestamp")} AS VARCHAR) AS ts_text,
            TRY_CAST({col("timestamp")} AS TIMESTAMPTZ) AS ts,
            CAST({col("amount")} AS VARCHAR) AS amount_text,
            TRY_CAST({col("amount")} AS DOUBLE) AS amount,
            {margin} AS margin, {cost} AS cost
        FROM {reader}"""
    )
    _check(con, path)
    con.execute(
        f"""CREATE TEMP VIEW tx AS SELECT customer_id,
            CAST(date_diff('day', DATE '1970-01-01', CAST(ts AS DATE)) AS BIGINT) AS day,
            amount,
            COALESCE(margin, amount - cost, amount * {float(default_margin)!r}) AS profit,
            margin IS NULL AND cost IS NULL AS assumed
        FROM raw"""
    )
    return con


def _check(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    checks = (
        ("customer_id IS NULL OR customer_id = ''", "customer_id", "an empty customer_id"),
        ("ts IS NULL", "ts_text", "a timestamp that is not a date and time"),
        ("amount IS NULL OR NOT isfinite(amount)", "amount_text", "an amount that is not a number"),
    )
    for condition, shown, what in checks:
        found = con.execute(
            f"SELECT COUNT(*), ANY_VALUE({shown}) FROM raw WHERE {condition}"
        ).fetchone()
        if found is not None and found[0]:
            raise SourceError(f"{path}: {found[0]} rows have {what} (e.g. {found[1]!r})")


def summarize_source(
    path: Path, default_margin: float = 1.0, unit_days: float = 7.0, threads: int | None = None
) -> SourceSummary:
    """The per-customer summary of the transactions in `path`, as of their last day."""
    try:
        con = open_source(path, default_margin, threads)
        stats = con.execute("SELECT MAX(day), COUNT(*), BOOL_OR(assumed) FROM tx").fetchone()
        if stats is None or stats[1] == 0:
            raise SourceError(f"{path}: no transactions")
        as_of_day, transactions, assumed = int(stats[0]), int(stats[1]), bool(stats[2])
        columns = con.execute(summary_sql(as_of_day)).fetchnumpy()
    except duckdb.Error as exc:
        raise SourceError(f"{path}: {str(exc).splitlines()[0]}") from None
    ids = [str(c) for c in columns["customer_id"]]
    arrays = {k: np.asarray(v) for k, v in columns.items() if k != "customer_id"}
    return SourceSummary(
        customer_ids=ids,
        summary=to_summary(arrays, as_of_day, unit_days, assumed),
        as_of_day=as_of_day,
        transactions=transactions,
    )
