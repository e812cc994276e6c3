"""Transactions in Parquet or CSV files, summarised by an embedded DuckDB.

A data engineer points the engine at the files the warehouse already exports: one file,
or a directory of them, with the columns of the CSV import (customer_id, timestamp,
amount, optional gross_margin or cost). DuckDB reads them in parallel and out of core,
and runs the one summary query (`summary_sql`), so a hundred million rows become one row
per customer without passing through Python. Timestamps with an offset are converted to
UTC and naive ones are taken as UTC, as the CSV import does.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import numpy as np

from value_engine.models import RfmSegment
from value_engine.periods import last_quarters
from value_engine.row_rules import DUCKDB, broken_rules, row_rules, rules_query
from value_engine.sources.errors import BadRows, SourceError
from value_engine.sources.paths import duckdb_literal, source_files
from value_engine.sources.pipeline import (
    SourceModels,
    backtest_where,
    fit_groups,
    holdout_cut,
    score_batch,
)
from value_engine.sources.served import ServedScores, ServingPass, serve
from value_engine.sources.served_sql import history_sql, ranked_sql, selection_sql
from value_engine.sources.summary_sql import (
    FALLBACK_SQL,
    PURCHASE_GROUPS_SQL,
    SPEND_GROUPS_SQL,
    summary_sql,
    to_summary,
)
from value_engine.summary import CustomerSummary

__all__ = ["BadRows", "DuckSource", "SourceError", "SourceSummary", "summarize_source"]

REQUIRED = ("customer_id", "timestamp", "amount")
OPTIONAL = ("gross_margin", "cost")


@dataclass(frozen=True, slots=True)
class SourceSummary:
    customer_ids: list[str]
    summary: CustomerSummary
    as_of_day: int
    transactions: int


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _reader(path: Path, pattern: bool) -> str:
    """DuckDB's reader over the explicit list of the source's files (paths.py)."""
    found = source_files(path, pattern)
    files = "[" + ", ".join(_quote(duckdb_literal(f)) for f in found.files) + "]"
    if found.kind == "parquet":
        return f"read_parquet({files})"
    return f"read_csv({files}, header = true, all_varchar = true)"


def open_source(  # type: ignore[no-untyped-def]
    path: Path,
    default_margin: float,
    threads: int | None = None,
    pattern: bool = False,
    now: datetime | None = None,
):
    """A DuckDB connection with the view `tx(customer_id, day, amount, profit)` over the
    files, after every row was checked; SourceError names the first problem. `pattern`:
    `path` is a glob (`--glob`), else a path; `now`: where the future starts (tests)."""
    reader = _reader(path, pattern)
    con = duckdb.connect(":memory:")
    con.execute("SET TimeZone = 'UTC'")
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    try:
        described = con.execute(f"DESCRIBE SELECT * FROM {reader}").fetchall()
        columns = [str(row[0]) for row in described]
    except duckdb.Error as exc:
        con.close()
        raise SourceError(f"{path}: cannot read it ({str(exc).splitlines()[0]})") from None
    names = {c.strip().lower(): c for c in columns}
    missing = [c for c in REQUIRED if c not in names]
    if missing:
        con.close()
        raise SourceError(f"{path}: missing columns: {', '.join(missing)}")

    def col(name: str) -> str:
        return '"' + names[name].replace('"', '""') + '"'

    def number(name: str, alias: str) -> str:
        """The optional column's text (to check and show) and its value."""
        if name not in names:
            return f"CAST(NULL AS VARCHAR) AS {alias}_text, CAST(NULL AS DOUBLE) AS {alias}"
        text, value = f"CAST({col(name)} AS VARCHAR)", f"TRY_CAST({col(name)} AS DOUBLE)"
        return f"{text} AS {alias}_text, {value} AS {alias}"

    con.execute(
        f"""CREATE TEMP VIEW raw AS SELECT
            TRIM(CAST({col("customer_id")} AS VARCHAR)) AS customer_id,
            CAST({col("timestamp")} AS VARCHAR) AS ts_text,
            TRY_CAST({col("timestamp")} AS TIMESTAMPTZ) AS ts,
            CAST({col("amount")} AS VARCHAR) AS amount_text,
            TRY_CAST({col("amount")} AS DOUBLE) AS amount,
            {number("gross_margin", "margin")}, {number("cost", "cost")}
        FROM {reader}"""
    )
    try:
        _check(con, path, now)
    except SourceError:
        con.close()
        raise
    con.execute(
        f"""CREATE TEMP VIEW tx AS SELECT customer_id,
            CAST(date_diff('day', DATE '1970-01-01', CAST(ts AS DATE)) AS BIGINT) AS day,
            amount,
            COALESCE(margin, amount - cost, amount * {float(default_margin)!r}) AS profit,
            margin IS NULL AND cost IS NULL AS assumed
        FROM raw"""
    )
    return con


def _one(con: duckdb.DuckDBPyConnection, query: str) -> tuple[Any, ...]:
    """The one row of an aggregate, read to the end: DuckDB 2 keeps a result open (and the
    connection busy) until a fetch returns no more rows."""
    rows = con.execute(query).fetchall()
    return tuple(rows[0]) if rows else ()


def _check(con: duckdb.DuckDBPyConnection, path: Path, now: datetime | None) -> None:
    """Every row against the import's rules (value_engine.row_rules), in one pass."""
    latest = (now or datetime.now(UTC)).replace(tzinfo=None)
    rules = row_rules(DUCKDB, latest)
    try:
        broken = broken_rules(rules, _one(con, rules_query(rules, "raw")))
    except duckdb.Error as exc:
        raise SourceError(f"{path}: cannot read it ({str(exc).splitlines()[0]})") from None
    if broken:
        raise BadRows(str(path), broken)


def summarize_source(
    path: Path,
    default_margin: float = 1.0,
    unit_days: float = 7.0,
    threads: int | None = None,
    now: datetime | None = None,
) -> SourceSummary:
    """The per-customer summary of the transactions in `path` as arrays (for tests and
    small sources; `DuckSource` keeps large ones inside DuckDB)."""
    with DuckSource(path, default_margin, unit_days, threads, now=now) as source:
        try:
            columns = source.con.execute("SELECT * FROM summary").fetchnumpy()
        except duckdb.Error as exc:
            raise SourceError(f"{path}: {str(exc).splitlines()[0]}") from None
        ids = [str(c) for c in columns["customer_id"]]
        arrays = {k: np.asarray(v) for k, v in columns.items() if k != "customer_id"}
        return SourceSummary(
            customer_ids=ids,
            summary=to_summary(arrays, source.as_of_day, source.profit_assumed),
            as_of_day=source.as_of_day,
            transactions=source.transactions,
        )


class DuckSource:
    """Transaction files summarised once into a DuckDB table, then fitted on its groups and
    scored batch by batch; only groups and batches of scores ever reach Python."""

    def __init__(
        self,
        path: Path,
        default_margin: float = 1.0,
        unit_days: float = 7.0,
        threads: int | None = None,
        memory_limit: str | None = None,
        pattern: bool = False,
        now: datetime | None = None,
    ) -> None:
        """`pattern`: `path` is a glob (`--glob`); `now`: where the future starts."""
        self.path = path
        self.unit_days = unit_days
        self._spill = tempfile.TemporaryDirectory(prefix="cvm-duckdb-")
        try:
            self.con = open_source(path, default_margin, threads, pattern, now)
            self.con.execute(f"SET temp_directory = {_quote(self._spill.name)}")
            if memory_limit:
                self.con.execute(f"SET memory_limit = {_quote(memory_limit)}")
            stats = _one(
                self.con,
                "SELECT MAX(day), COUNT(*), BOOL_OR(assumed), "
                "MIN(CASE WHEN amount > 0 THEN day END) FROM tx",
            )
            if stats[1] == 0:
                raise SourceError(f"{path}: no transactions")
            self.as_of_day, self.transactions = int(stats[0]), int(stats[1])
            self.profit_assumed = bool(stats[2])
            first = None if stats[3] is None else int(stats[3])
            self.holdout_cut = holdout_cut(first, self.as_of_day)
            query = summary_sql(self.as_of_day, "tx", unit_days, self.holdout_cut)
            self.con.execute(f"CREATE TEMP TABLE summary AS {query}")
        except duckdb.Error as exc:
            self.close()
            raise SourceError(f"{path}: {str(exc).splitlines()[0]}") from None
        except SourceError:
            self.close()
            raise

    def __enter__(self) -> DuckSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        con = getattr(self, "con", None)
        if con is not None:
            con.close()
        self._spill.cleanup()

    def fit(self, backtest: bool = True) -> SourceModels:
        """The models on the summary's groups, with the holdout test of the same method
        (`pipeline.backtest_where`) in their quality unless `backtest` is False."""
        sql = self.con.execute
        holdout = None
        if backtest and self.holdout_cut is not None:
            holdout = backtest_where(
                lambda query: sql(query).fetchnumpy(),
                "summary",
                self.holdout_cut,
                self.as_of_day,
                self.unit_days,
            )
        purchase = sql(PURCHASE_GROUPS_SQL.format(summary="summary")).fetchnumpy()
        spend = sql(SPEND_GROUPS_SQL.format(summary="summary")).fetchnumpy()
        revenue, occasions, _ = _one(self.con, FALLBACK_SQL.format(summary="summary"))
        fallback = float(revenue or 0.0) / float(occasions) if occasions else 0.0
        return fit_groups(
            (purchase["frequency"], purchase["recency"], purchase["t"], purchase["customers"]),
            (spend["frequency"], spend["monetary_value"], spend["customers"]),
            fallback,
            holdout,
        )

    def scores(
        self,
        models: SourceModels,
        horizon_steps: int,
        discount_rate: float,
        batch_rows: int = 1_000_000,
    ) -> Iterator[tuple[list[str], dict[str, np.ndarray]]]:
        """(customer ids, scores) per batch of customers with a purchase."""
        relation = self.con.sql(
            "SELECT customer_id, frequency, recency, t, monetary_value FROM summary "
            "WHERE purchases > 0"
        )
        # Streams: the reader owns the connection until it is read to the end.
        with relation.to_arrow_reader(batch_size=batch_rows) as reader:
            yield from self._scored(reader, models, horizon_steps, discount_rate)

    @staticmethod
    def _scored(
        reader: Any, models: SourceModels, horizon_steps: int, discount_rate: float
    ) -> Iterator[tuple[list[str], dict[str, np.ndarray]]]:
        for batch in reader:
            cols = {name: batch.column(name) for name in batch.schema.names}
            ids = cols["customer_id"].to_pylist()
            yield (
                ids,
                score_batch(
                    models,
                    ids,
                    cols["frequency"].to_numpy(),
                    cols["recency"].to_numpy(),
                    cols["t"].to_numpy(),
                    cols["monetary_value"].to_numpy(),
                    horizon_steps,
                    discount_rate,
                ),
            )

    # --- the customers the bot serves (value_engine.sources.served) ---------------------
    def select_served(self, segment: RfmSegment | None, top: int | None) -> int:
        """Rank everyone and choose the served customers; how many were chosen."""
        try:
            self.con.execute(
                f"CREATE OR REPLACE TEMP TABLE ranked AS {ranked_sql('summary', self.as_of_day)}"
            )
            self.con.execute(
                "CREATE OR REPLACE TEMP TABLE served AS " + selection_sql("ranked", segment, top)
            )
            return int(_one(self.con, "SELECT COUNT(*) FROM served")[0])
        except duckdb.Error as exc:
            raise SourceError(f"{self.path}: {str(exc).splitlines()[0]}") from None

    def serve(self, serving: ServingPass) -> ServedScores:
        """Everyone through one pass, batch by batch, in this process."""
        try:
            return serve(self.served_batches(), serving)
        except duckdb.Error as exc:
            raise SourceError(f"{self.path}: {str(exc).splitlines()[0]}") from None

    def served_batches(self, batch_rows: int = 500_000) -> Iterator[dict[str, np.ndarray]]:
        """Everyone, ranked, in batches, each row marked whether the bot serves it."""
        relation = self.con.sql(
            "SELECT r.*, s.customer_id IS NOT NULL AS served "
            "FROM ranked r LEFT JOIN served s ON r.customer_id = s.customer_id"
        )
        with relation.to_arrow_reader(batch_size=batch_rows) as reader:
            for batch in reader:
                yield {
                    name: batch.column(name).to_numpy(zero_copy_only=False)
                    for name in batch.schema.names
                }

    def served_history(self, quarters: int = 12) -> list[tuple[str, int, float, float]]:
        """(customer id, quarter index, revenue, profit) of the served customers' last
        `quarters` quarters, for the card's history; quarters without a line are absent."""
        query = history_sql("tx", "served", last_quarters(self.as_of_day, quarters), self.as_of_day)
        try:
            rows = self.con.execute(query).fetchall()
        except duckdb.Error as exc:
            raise SourceError(f"{self.path}: {str(exc).splitlines()[0]}") from None
        return [(str(c), int(q), float(r), float(p)) for c, q, r, p in rows]
