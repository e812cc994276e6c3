"""The transaction import, streamed and all-or-nothing.

A good file (most are) is checked a block at a time as Arrow columns
(`transactions_columns`) and written straight into `customer_transaction` as it passes
(`transactions_load`), inside one database transaction; neither the file nor its rows
are held whole. If any block fails a check, that transaction is rolled back and the file
goes through the row path: every row checked one by one so each bad line is named, the
good ones staged in a temporary table, and only when the whole file is good do they move
into `customer_transaction` (skipping rows already there).

Duplicates inside the file are found in SQL on the staging table: the same row twice is
skipped and reported, the same transaction id with different contents is an error.
On PostgreSQL a checked file whose refs are partly imported already (COPY cannot skip
them) is staged the same way and merged.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, func, select

from bot.customers.csv_rows import (
    CONTROL_CHARACTERS,
    EPOCH,
    Progress,
    clean_id,
    columns_of,
    csv_rows,
    numbered_rows,
    open_rows,
    parse_number,
    parse_timestamp,
)
from bot.customers.encodings import EncodingProblem, decode
from bot.customers.import_report import MAX_REPORTED, ImportKind, ImportReport, RowIssue
from bot.customers.store import CUSTOMER, TRANSACTION, bump_revision
from bot.customers.transactions_columns import CheckedColumns, Unchecked, checked_blocks
from bot.customers.transactions_load import (
    COLUMNS,
    DirectLoad,
    RefsAlreadyStored,
    load_transaction,
)
from bot.read_ahead import read_ahead

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

    def write_checked(self, block: CheckedColumns) -> None:
        """A checked block (PostgreSQL only: SQLite's direct load skips stored refs)."""
        raw = self.connection.connection.driver_connection
        assert raw is not None
        with (
            raw.cursor() as cursor,
            cursor.copy(f"COPY cvm_tx_import ({COLUMNS}) FROM STDIN WITH (FORMAT csv)") as copy,
        ):
            copy.write(block.csv())

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


@dataclass(frozen=True, slots=True)
class _Checkable:
    """A file the column checks can read: UTF-8 text and its columns."""

    source: bytes | Path
    width: int
    columns: dict[str, int]
    encoding: str


def import_transactions(
    engine: Engine,
    source: bytes | Path,
    max_rows: int | None = None,
    now: datetime | None = None,
    encoding: str | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """`source`: the file's bytes, or its path (read a block at a time when it is good).
    `progress(done, total)` counts rows checked and written."""
    started = time.perf_counter()
    lines = _count_lines(source)
    latest = (now or datetime.now(UTC)).replace(tzinfo=None)
    checkable = _checkable(source, encoding)
    if checkable is not None:
        for merge in (False, True):
            try:
                report = _import_checked(
                    engine, checkable, latest, max_rows, merge, progress, lines
                )
            except RefsAlreadyStored:
                continue
            except Unchecked:
                break
            report.seconds = time.perf_counter() - started
            return report
    data = source if isinstance(source, bytes) else source.read_bytes()
    report = _import_rows(engine, data, latest, max_rows, encoding, progress, lines)
    report.seconds = time.perf_counter() - started
    return report


def _count_lines(source: bytes | Path) -> int:
    if isinstance(source, bytes):
        return source.count(b"\n") + 1
    count = 1
    with source.open("rb") as file:
        while chunk := file.read(1 << 20):
            count += chunk.count(b"\n")
    return count


def _checkable(source: bytes | Path, encoding: str | None) -> _Checkable | None:
    """The file as UTF-8 with its columns, or None for the row path (which reports why).
    A file in another encoding is converted whole, as the row path would read it."""
    if isinstance(source, bytes):
        first_line = source[: source.find(b"\n") + 1 or len(source)]
    else:
        with source.open("rb") as file:
            first_line = file.readline(1 << 20)
    try:
        header_text, found = decode(first_line, encoding)
        if found != "utf-8":
            data = source if isinstance(source, bytes) else source.read_bytes()
            source = decode(data, encoding)[0].encode("utf-8")
    except EncodingProblem:
        return None
    header = next(iter(csv_rows(header_text)), [])
    columns = columns_of(header, ImportKind.TRANSACTIONS, ImportReport(ImportKind.TRANSACTIONS))
    if columns is None:
        return None
    return _Checkable(source, len(header), columns, found)


def _import_checked(
    engine: Engine,
    file: _Checkable,
    latest: datetime,
    max_rows: int | None,
    merge: bool,
    progress: Progress | None,
    lines: int,
) -> ImportReport:
    """Raises `Unchecked` (nothing written) when a row needs the row path, and
    `RefsAlreadyStored` when PostgreSQL's COPY met an imported ref (then `merge`)."""
    report = ImportReport(ImportKind.TRANSACTIONS)
    report.encoding = file.encoding
    with load_transaction(engine) as connection:
        known = set(connection.execute(select(CUSTOMER.c.id)).scalars())
        blocks = checked_blocks(file.source, file.width, file.columns, known, latest, max_rows)
        if merge:
            stage = _Stage(connection)
            try:
                for block in blocks:
                    stage.write_checked(block)
                    report.rows += len(block)
                    _report_progress(progress, report.rows, lines)
                report.inserted = stage.move(refs_unique=True)
            finally:
                stage.drop()
        else:
            load = DirectLoad(connection, expected_rows=lines - 1)
            try:
                for prepared in read_ahead(load.prepare(block) for block in blocks):
                    report.inserted += load.write(prepared)
                    report.rows += prepared.rows
                    _report_progress(progress, report.rows, lines)
                load.finish()
            finally:
                load.close()
        already = report.rows - report.inserted
        if already:
            report.skipped_count += already
            report.skipped.append(RowIssue(0, "already_imported", str(already)))
        if report.inserted:
            bump_revision(connection)
        if progress is not None:
            progress(lines, lines)
    report.committed = True
    return report


def _report_progress(progress: Progress | None, rows: int, lines: int) -> None:
    if progress is not None:
        progress(min(rows, lines - 1), lines)


def _import_rows(
    engine: Engine,
    data: bytes,
    latest: datetime,
    max_rows: int | None,
    encoding: str | None,
    progress: Progress | None,
    lines: int,
) -> ImportReport:
    """The row path: every bad line named; `progress` counts rows checked, then staged."""
    report = ImportReport(ImportKind.TRANSACTIONS)
    opened = open_rows(data, report, encoding)
    if opened is None:
        return report
    rows, columns, header_width = opened
    try:
        with engine.begin() as connection:
            known = set(connection.execute(select(CUSTOMER.c.id)).scalars())
            stage = _Stage(connection)
            try:
                staged = _check_and_stage(
                    rows, (columns, header_width), known, report, stage, max_rows, latest,
                    progress, lines,
                )  # fmt: skip
                for line, first, same, ref in stage.duplicates():
                    if same:
                        report.skip(line, "duplicate_row", str(first))
                    else:
                        report.error(line, "conflicting_duplicate", ref)
                if report.error_count:
                    raise _Abandon
                report.errors.sort(key=lambda issue: issue.line)
                if staged:
                    report.inserted = stage.move()
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
        return report
    report.committed = True
    return report


def _check_and_stage(
    rows: Iterator[list[str]],
    header: tuple[dict[str, int], int],
    known: set[str],
    report: ImportReport,
    stage: _Stage,
    max_rows: int | None,
    latest: datetime,
    progress: Progress | None,
    lines: int,
) -> int:
    """Every row checked; the good ones staged (until the first bad one: after it, rows are
    only checked, to report them all). The number of rows staged. `header`: the columns
    and the header's width (a row with more cells than it is refused)."""
    columns, header_width = header
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
    for line, row in numbered_rows(rows, report, max_rows, progress, 2 * lines, header_width):
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
