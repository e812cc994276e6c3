"""The transaction import, streamed: rows are checked one by one and written as they pass
into a staging table inside the import's own database transaction; only when the whole
file is good do they move into `customer_transaction` (skipping rows already there), so
the import stays all-or-nothing while neither the file's rows nor a table of what was
seen are held in memory.

Duplicates inside the file are found in SQL on the staging table: the same row twice is
skipped and reported, the same transaction id with different contents is an error.
The staging rows go in by the driver's fastest path: COPY on PostgreSQL, a prepared
executemany on SQLite. A million rows take a few seconds on either.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, func, select

from bot.customers.csv_import import (
    CONTROL_CHARACTERS,
    EPOCH,
    Progress,
    _open,
    clean_id,
    csv_rows,
    numbered_rows,
    parse_number,
    parse_timestamp,
)
from bot.customers.encodings import decode
from bot.customers.import_report import MAX_REPORTED, ImportKind, ImportReport, RowIssue
from bot.customers.store import CUSTOMER, TRANSACTION, bump_revision
from bot.customers.transactions_columns import CheckedColumns, check_columns

STAGE_EVERY = 20_000  # rows per write into the staging table
DATE_CACHE = 50_000  # distinct timestamp texts remembered (files repeat dates, not times)
# (line, ref, customer_id, ts, day, amount, gross_margin, cost)
Staged = tuple[int, str, str, Any, int, float, float | None, float | None]


class _Stage:
    """The staging table of one import, in the import's transaction."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.postgres = connection.dialect.name == "postgresql"
        suffix = " ON COMMIT DROP" if self.postgres else ""
        if not self.postgres:
            # SQLite's default 2 MB page cache makes a million inserts into the table's
            # three indexes thrash; 128 MB for this connection keeps them in memory.
            connection.exec_driver_sql("PRAGMA cache_size = -131072")
        connection.exec_driver_sql(
            "CREATE TEMP TABLE cvm_tx_import (line BIGINT, ref VARCHAR(128), "
            "customer_id VARCHAR(64), ts TIMESTAMP, day BIGINT, amount DOUBLE PRECISION, "
            f"gross_margin DOUBLE PRECISION, cost DOUBLE PRECISION){suffix}"
        )

    def write(self, rows: list[Staged]) -> None:
        if not rows:
            return
        if self.postgres:
            raw = self.connection.connection.driver_connection
            assert raw is not None
            with (
                raw.cursor() as cursor,
                cursor.copy(
                    "COPY cvm_tx_import (line, ref, customer_id, ts, day, amount, gross_margin, "
                    "cost) FROM STDIN"
                ) as copy,
            ):
                for row in rows:
                    copy.write_row(row)
            return
        cursor = self.connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        cursor.executemany("INSERT INTO cvm_tx_import VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)

    def write_columns(
        self, good: CheckedColumns, progress: Progress | None = None, lines: int = 0
    ) -> None:
        """A file checked as columns, staged in batches; `progress` continues from `lines`
        (the checks) towards `2 * lines`."""
        done = 0
        for batch in good.batches(STAGE_EVERY * 5, as_text=not self.postgres):
            self.write(batch)
            done += len(batch)
            if progress is not None:
                progress(lines + lines * done // max(len(good), 1) - 1, 2 * lines)

    def duplicates(self) -> Iterator[tuple[int, int, bool, str]]:
        """(line, first line of the same ref, same contents?, ref) for every repeated ref."""
        query = """
            SELECT s.line, f.line,
                   s.customer_id = f.customer_id AND s.ts = f.ts AND s.amount = f.amount
                   AND COALESCE(s.gross_margin, -1e300) = COALESCE(f.gross_margin, -1e300)
                   AND COALESCE(s.cost, -1e300) = COALESCE(f.cost, -1e300),
                   s.ref
            FROM cvm_tx_import s
            JOIN (SELECT ref, MIN(line) AS line FROM cvm_tx_import GROUP BY ref
                  HAVING COUNT(*) > 1) firsts ON firsts.ref = s.ref
            JOIN cvm_tx_import f ON f.ref = firsts.ref AND f.line = firsts.line
            WHERE s.line > f.line
            ORDER BY s.line
        """
        for line, first, same, ref in self.connection.exec_driver_sql(query):
            yield int(line), int(first), bool(same), str(ref)

    def move(self, refs_unique: bool = False) -> int:
        """Into customer_transaction, first occurrence of each ref, skipping refs already
        imported; the number of rows added. `refs_unique`: the file was checked to have
        no ref twice, so there is no first occurrence to find."""
        before = self.connection.execute(select(func.count()).select_from(TRANSACTION)).scalar()
        first = (
            "true" if refs_unique else "line IN (SELECT MIN(line) FROM cvm_tx_import GROUP BY ref)"
        )
        self.connection.exec_driver_sql(
            "INSERT INTO customer_transaction (ref, customer_id, ts, day, amount, gross_margin, "
            "cost) SELECT ref, customer_id, ts, day, amount, gross_margin, cost "
            # In ref order, the unique index on ref grows at its end instead of page splits
            # all over it: a third of the time of a million rows on SQLite.
            f"FROM cvm_tx_import WHERE {first} ORDER BY ref ON CONFLICT (ref) DO NOTHING"
        )
        after = self.connection.execute(select(func.count()).select_from(TRANSACTION)).scalar()
        return int(after or 0) - int(before or 0)

    def drop(self) -> None:
        if not self.postgres:
            self.connection.exec_driver_sql("DROP TABLE IF EXISTS cvm_tx_import")
            # The pooled connection goes back to serving reads: SQLite's default cache.
            self.connection.exec_driver_sql("PRAGMA cache_size = -2000")


class _Abandon(Exception):
    """A bad row: roll the import's transaction back."""


def import_transactions(
    engine: Engine,
    data: bytes,
    max_rows: int | None = None,
    now: datetime | None = None,
    encoding: str | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """`progress(done, total)` counts rows checked and staged, then the final move."""
    started = time.perf_counter()
    report = ImportReport(ImportKind.TRANSACTIONS)
    lines = data.count(b"\n") + 1
    opened = _open(data, report, encoding)
    if opened is None:
        return report
    rows, columns = opened
    latest = (now or datetime.now(UTC)).replace(tzinfo=None)
    try:
        with engine.begin() as connection:
            known = set(connection.execute(select(CUSTOMER.c.id)).scalars())
            stage = _Stage(connection)
            try:
                good = _good_file(data, report.encoding, columns, known, latest, max_rows)
                if good is not None:
                    report.rows = staged = len(good)
                    if progress is not None:
                        progress(lines, 2 * lines)  # every row checked
                    stage.write_columns(good, progress, lines)
                else:
                    staged = _check_and_stage(
                        rows, columns, known, report, stage, max_rows, latest, progress, lines
                    )
                for line, first, same, ref in () if good is not None else stage.duplicates():
                    if same:
                        report.skip(line, "duplicate_row", str(first))
                    else:
                        report.error(line, "conflicting_duplicate", ref)
                if report.error_count:
                    raise _Abandon
                report.errors.sort(key=lambda issue: issue.line)
                if staged:
                    report.inserted = stage.move(refs_unique=good is not None)
                    unique = staged - report.skipped_count
                    already = unique - report.inserted
                    if already:
                        report.skipped_count += already
                        if len(report.skipped) < MAX_REPORTED:
                            report.skipped.append(RowIssue(0, "already_imported", str(already)))
                    if report.inserted:
                        bump_revision(connection)
                if progress is not None:
                    progress(2 * lines, 2 * lines)
            finally:
                stage.drop()
    except _Abandon:
        report.errors.sort(key=lambda issue: issue.line)
        report.seconds = time.perf_counter() - started
        return report
    report.committed = True
    report.seconds = time.perf_counter() - started
    return report


def _good_file(
    data: bytes,
    encoding: str | None,
    columns: dict[str, int],
    known: set[str],
    latest: datetime,
    max_rows: int | None,
) -> CheckedColumns | None:
    """The file checked as columns (`transactions_columns`); None sends it row by row.
    A UTF-8 file is read as it is; another encoding is converted to UTF-8 first."""
    first_line = data[: data.find(b"\n") + 1 or len(data)]
    header_text, found = decode(first_line, encoding)
    if found != "utf-8":
        data = decode(data, encoding)[0].encode("utf-8")
    header = next(iter(csv_rows(header_text)), [])
    return check_columns(data, header, columns, known, latest, max_rows)


def _check_and_stage(
    rows: Iterator[list[str]],
    columns: dict[str, int],
    known: set[str],
    report: ImportReport,
    stage: _Stage,
    max_rows: int | None,
    latest: datetime,
    progress: Progress | None,
    lines: int,
) -> int:
    """Every row checked; the good ones staged (until the first bad one: after it, rows are
    only checked, to report them all). The number of rows staged."""
    i_cust, i_ts, i_amount = columns["customer_id"], columns["timestamp"], columns["amount"]
    i_margin, i_cost, i_ref = (
        columns.get("gross_margin"),
        columns.get("cost"),
        columns.get("transaction_id"),
    )
    width = max(columns.values()) + 1
    dates: dict[str, datetime | None] = {}
    batch: list[Staged] = []
    staged = 0
    as_text = not stage.postgres  # SQLite: the text SQLAlchemy's DateTime stores and reads
    for line, row in numbered_rows(rows, report, max_rows, progress, 2 * lines):
        if len(row) < width:
            report.error(line, "missing_values")
            continue
        customer_id = clean_id(row[i_cust])
        if customer_id is None:
            report.error(line, "bad_customer_id", row[i_cust])
            continue
        if customer_id not in known:
            report.error(line, "unknown_customer", customer_id)
            continue
        raw_ts = row[i_ts]
        ts = dates.get(raw_ts)
        if ts is None:
            ts = parse_timestamp(raw_ts)
            if len(dates) >= DATE_CACHE:
                dates.clear()
            dates[raw_ts] = ts
        if ts is None:
            report.error(line, "bad_date", raw_ts)
            continue
        if ts > latest:
            report.error(line, "future_date", raw_ts)
            continue
        amount = parse_number(row[i_amount])
        if amount is None:
            report.error(line, "bad_amount", row[i_amount])
            continue
        if amount == 0:
            report.error(line, "zero_amount", row[i_amount])
            continue
        margin = cost = None
        if i_margin is not None and row[i_margin].strip():
            margin = parse_number(row[i_margin])
            if margin is None:
                report.error(line, "bad_margin", row[i_margin])
                continue
        if i_cost is not None and row[i_cost].strip():
            cost = parse_number(row[i_cost])
            if cost is None or cost < 0:
                report.error(line, "bad_cost", row[i_cost])
                continue
        if i_ref is not None and row[i_ref].strip():
            ref = row[i_ref].strip()
            if len(ref) > 128 or CONTROL_CHARACTERS.search(ref):
                report.error(line, "bad_transaction_id", ref)
                continue
        else:
            key = f"{customer_id}\x1f{ts.isoformat()}\x1f{amount!r}"
            ref = "h:" + hashlib.sha1(key.encode()).hexdigest()
        if report.error_count:
            continue  # the import is lost already: check the rest, stage nothing more
        day = (ts.date() - EPOCH).days
        stamp: Any = ts.isoformat(" ", "microseconds") if as_text else ts
        batch.append((line, ref, customer_id, stamp, day, amount, margin, cost))
        if len(batch) >= STAGE_EVERY:
            stage.write(batch)
            staged += len(batch)
            batch.clear()
    if not report.error_count:
        stage.write(batch)
        staged += len(batch)
    return staged
