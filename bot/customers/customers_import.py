"""The customer import, all-or-nothing, a block at a time when the file is good.

It used to check and write one row per statement: 20,000 ids took 9 s, almost all of
it in 40,000 single INSERTs and UPDATEs. Now, as for transactions, a good file (most
are) is read by pyarrow as text columns and every rule is checked as an array operation
(`checked_customers`); the rows are then written with one executemany per kind of change.
A file any column check doubts goes through the row path (`check_rows`), which names
every bad line, so both paths accept exactly the same files and store the same rows.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from pyarrow import csv as pa_csv
from sqlalchemy import Connection, Engine, bindparam, select, update

from bot.customers.csv_rows import (
    CONTROL_CHARACTERS,
    MAX_ID_CHARS,
    clean_id,
    columns_of,
    header_of,
    numbered_rows,
)
from bot.customers.encodings import EncodingProblem, decode
from bot.customers.import_report import ImportKind, ImportReport
from bot.customers.store import CUSTOMER, bump_revision

FIELDS = ("name", "segment", "region", "channel")
MAX_TEXT = 200  # characters kept of a name, segment, region or channel
Record = tuple[str, str, str, str, str | None]  # name, segment, region, channel, referred_by


def import_customers(
    engine: Engine, data: bytes, max_rows: int | None = None, encoding: str | None = None
) -> ImportReport:
    started = time.perf_counter()
    report = ImportReport(ImportKind.CUSTOMERS)
    try:
        text, report.encoding = decode(data, encoding)
    except EncodingProblem as problem:
        report.error(problem.line, problem.code, problem.value)
        return report
    opened = header_of(text, report)
    if opened is None:
        return report
    rows, header = opened
    columns = columns_of(header, ImportKind.CUSTOMERS, report)
    if columns is None:
        return report
    existing = _existing(engine)
    checked = checked_customers(text, len(header), columns, set(existing), max_rows)
    if checked is None:
        checked = check_rows(rows, columns, len(header), set(existing), report, max_rows)
    else:
        report.rows = len(checked)
    if report.error_count:
        report.seconds = time.perf_counter() - started
        return report
    with engine.begin() as connection:
        if _write(connection, checked, existing, report):
            bump_revision(connection)
    report.committed = True
    report.seconds = time.perf_counter() - started
    return report


def _existing(engine: Engine) -> dict[str, Record]:
    table = CUSTOMER
    fields = [table.c[name] for name in (*FIELDS, "referred_by")]
    with engine.connect() as connection:
        return {row[0]: tuple(row[1:]) for row in connection.execute(select(table.c.id, *fields))}


def checked_customers(
    text: str, width: int, columns: dict[str, int], known: set[str], max_rows: int | None
) -> dict[str, tuple[int, Record]] | None:
    """id -> (line, record) when every row passes every rule, else None (the row path
    decides and names the lines). Blank lines (which pyarrow skips, so the lines of
    skipped rows would be off) and quotes (a quote that never closes is the row path's
    to name) go to the row path too."""
    if "\n\n" in text or "\n\r\n" in text or '"' in text:
        return None
    names = [f"c{i}" for i in range(width)]
    try:
        table = pa_csv.read_csv(
            pa.BufferReader(text.encode()),
            read_options=pa_csv.ReadOptions(column_names=names, skip_rows=1),
            convert_options=pa_csv.ConvertOptions(
                column_types={name: pa.string() for name in names},
                strings_can_be_null=False,
            ),
            parse_options=pa_csv.ParseOptions(newlines_in_values=False),
        )
    except (pa.ArrowException, UnicodeError):
        return None  # a row with more or fewer cells than the header, among others
    if max_rows is not None and table.num_rows > max_rows:
        return None
    cells = {key: pc.utf8_trim_whitespace(table.column(i)) for key, i in columns.items()}
    ids = cells["id"]
    if table.num_rows == 0 or (
        pc.min(pc.utf8_length(ids)).as_py() == 0
        or pc.max(pc.utf8_length(ids)).as_py() > MAX_ID_CHARS
        or any(pc.any(pc.match_substring_regex(c, CONTROL_CHARACTERS.pattern)).as_py()
               for c in cells.values())
        or pc.count_distinct(ids).as_py() != table.num_rows
    ):  # fmt: skip
        return None
    id_list = ids.to_pylist()
    texts = [
        pc.utf8_slice_codeunits(cells[key], 0, MAX_TEXT).to_pylist()
        if key in cells else [""] * len(id_list)
        for key in FIELDS
    ]  # fmt: skip
    referrers = cells["referred_by"].to_pylist() if "referred_by" in cells else None
    in_file = set(id_list)
    checked: dict[str, tuple[int, Record]] = {}
    for i, customer_id in enumerate(id_list):
        referrer = (referrers[i] or None) if referrers is not None else None
        if referrer is not None and (
            referrer == customer_id or (referrer not in in_file and referrer not in known)
        ):
            return None
        fields = (texts[0][i], texts[1][i], texts[2][i], texts[3][i], referrer)
        checked[customer_id] = (i + 2, fields)
    return checked


def check_rows(
    rows: Iterator[list[str]],
    columns: dict[str, int],
    width: int,
    known: set[str],
    report: ImportReport,
    max_rows: int | None,
) -> dict[str, tuple[int, Record]]:
    """The row path: every row checked, every bad line reported."""
    parsed: dict[str, tuple[int, Record]] = {}
    for line, row in numbered_rows(rows, report, max_rows, width=width):
        cells = {key: (row[i].strip() if i < len(row) else "") for key, i in columns.items()}
        customer_id = clean_id(cells["id"])
        if customer_id is None:
            report.error(line, "bad_customer_id", cells["id"])
            continue
        if any(CONTROL_CHARACTERS.search(v) for v in cells.values()):
            report.error(line, "control_characters", customer_id)
            continue
        name, segment, region, channel = (cells.get(key, "")[:MAX_TEXT] for key in FIELDS)
        record: Record = (name, segment, region, channel, cells.get("referred_by") or None)
        if customer_id in parsed:
            first, earlier = parsed[customer_id]
            if earlier == record:
                report.skip(line, "duplicate_row", str(first))
            else:
                report.error(line, "conflicting_duplicate", customer_id)
            continue
        parsed[customer_id] = (line, record)
    for customer_id, (line, record) in parsed.items():
        referrer = record[4]
        if referrer is None:
            continue
        if referrer == customer_id:
            report.error(line, "self_referral", customer_id)
        elif referrer not in parsed and referrer not in known:
            report.error(line, "unknown_referrer", referrer)
    return parsed


def _write(
    connection: Connection,
    checked: dict[str, tuple[int, Record]],
    existing: dict[str, Record],
    report: ImportReport,
) -> bool:
    """New customers, changed ones and then referrers (once every customer of the file
    exists), one executemany each; whether anything changed."""
    table = CUSTOMER
    now = datetime.now(UTC)
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    referrals: list[dict[str, Any]] = []
    for customer_id, (line, record) in checked.items():
        old = existing.get(customer_id)
        fields = dict(zip(FIELDS, record[:4], strict=True))
        if old is None:
            inserts.append({"id": customer_id, "updated_at": now, "referred_by": None, **fields})
        elif old[:4] != record[:4] or old[4] != record[4]:
            updates.append({"b_id": customer_id, "updated_at": now, **fields})
        else:
            report.skip(line, "unchanged", customer_id)
        if (old is None and record[4] is not None) or (old is not None and old[4] != record[4]):
            referrals.append({"b_id": customer_id, "referred_by": record[4]})
    if inserts:
        connection.execute(table.insert(), inserts)
    by_id = table.c.id == bindparam("b_id")
    if updates:
        values: dict[str, Any] = {key: bindparam(key) for key in ("updated_at", *FIELDS)}
        connection.execute(update(table).where(by_id).values(values), updates)
    if referrals:
        connection.execute(
            update(table).where(by_id).values(referred_by=bindparam("referred_by")), referrals
        )
    report.inserted, report.updated = len(inserts), len(updates)
    return bool(inserts or updates)
