"""Validated, all-or-nothing CSV imports of customers and transactions.

A file is read whole, every row is checked, and only if no row is in error is
anything written, in one database transaction that also bumps the data
revision. Rows that are already in the database (same transaction id, or the
same customer, time and amount when the file has no id) are skipped, so
importing a file twice changes nothing the second time.
"""

from __future__ import annotations

import csv
import io
import math
import re
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import Engine, update
from sqlmodel import Session
from sqlmodel import select as sqlmodel_select

from bot.customers.encodings import EncodingProblem, decode
from bot.customers.import_report import ImportKind, ImportReport
from bot.customers.store import CUSTOMER, bump_revision
from bot.storage.models import Customer

MAX_ID_CHARS = 64
EPOCH = date(1970, 1, 1)
Progress = Callable[[int, int], None]  # (done, total), see bot.progress
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")  # never in an id or a name


# Accepted header names (lower-cased, trimmed) for each field.
ALIASES: dict[str, tuple[str, ...]] = {
    "customer_id": (
        "customer_id",
        "customer",
        "customer id",
        "客戶編號",
        "客户编号",
        "客戶",
        "客户",
    ),
    "id": ("id", "customer_id", "customer id", "客戶編號", "客户编号"),
    "name": ("name", "customer_name", "名稱", "名称", "客戶名稱", "客户名称"),
    "segment": ("segment", "分群", "類別", "类别"),
    "region": ("region", "地區", "地区"),
    "channel": ("channel", "渠道", "通路"),
    "referred_by": ("referred_by", "referrer", "推薦人", "推荐人"),
    "timestamp": ("timestamp", "date", "ts", "datetime", "time", "日期", "時間", "时间"),
    "amount": ("amount", "value", "revenue", "金額", "金额"),
    "gross_margin": ("gross_margin", "margin", "profit", "毛利"),
    "cost": ("cost", "成本"),
    "transaction_id": (
        "transaction_id",
        "txn_id",
        "order_id",
        "ref",
        "交易編號",
        "交易编号",
        "訂單編號",
        "订单编号",
    ),
}
REQUIRED = {
    ImportKind.CUSTOMERS: ("id",),
    ImportKind.TRANSACTIONS: ("customer_id", "timestamp", "amount"),
}
OPTIONAL = {
    ImportKind.CUSTOMERS: ("name", "segment", "region", "channel", "referred_by"),
    ImportKind.TRANSACTIONS: ("gross_margin", "cost", "transaction_id"),
}


def sniff_header(data: bytes) -> list[str] | None:
    """The header row of a CSV file from its first 4 KB, before deciding how to import it."""
    head = data[:4096]
    cut = head.rfind(b"\n") + 1 if len(data) > len(head) else len(head)  # whole lines only
    try:
        text, _ = decode(head[: cut or len(head)])
    except EncodingProblem:
        return None
    return next(csv.reader(io.StringIO(text)), [])


def detect_kind(data: bytes) -> ImportKind | None:
    """Which import a file is, from its header: transactions have an amount column."""
    header = sniff_header(data)
    if header is None:
        return None
    names = {h.strip().lower() for h in header}
    if names & set(ALIASES["amount"]):
        return ImportKind.TRANSACTIONS
    if names & set(ALIASES["id"]):
        return ImportKind.CUSTOMERS
    return None


def _columns(header: list[str], kind: ImportKind, report: ImportReport) -> dict[str, int] | None:
    names = [h.strip().lower() for h in header]
    found: dict[str, int] = {}
    for key in REQUIRED[kind] + OPTIONAL[kind]:
        for alias in ALIASES[key]:
            if alias in names:
                found[key] = names.index(alias)
                break
    missing = [key for key in REQUIRED[kind] if key not in found]
    if missing:
        report.error(1, "missing_columns", ", ".join(missing))
        return None
    return found


def clean_id(raw: str) -> str | None:
    value = raw.strip()
    if not value or len(value) > MAX_ID_CHARS or CONTROL_CHARACTERS.search(value):
        return None
    return value


def parse_number(raw: str) -> float | None:
    text = raw.strip().replace(",", "")
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M", "%Y/%m/%d %H:%M:%S")


def parse_timestamp(raw: str) -> datetime | None:
    """ISO 8601 (with or without time or offset) or YYYY/MM/DD; stored as naive UTC."""
    text = raw.strip()
    if not text:
        return None
    moment: datetime | None = None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        for fmt in _DATE_FORMATS:
            try:
                moment = datetime.strptime(text, fmt)
                break
            except ValueError:
                continue
        if moment is None:
            return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    if not (1970 <= moment.year <= 2200):
        return None
    return moment


def csv_rows(text: str) -> Iterable[list[str]]:
    return csv.reader(io.StringIO(text, newline=""), strict=True)


PROGRESS_EVERY = 20_000  # rows between progress reports


def numbered_rows(
    rows: Iterator[list[str]],
    report: ImportReport,
    max_rows: int | None,
    progress: Progress | None = None,
    total: int = 0,
) -> Iterator[tuple[int, list[str]]]:
    """(line number, cells) of every non-blank row; stops at the row limit or at malformed
    CSV, reporting either against its line. `progress(rows read, total)` now and then."""
    line = 1
    try:
        for row in rows:
            if progress is not None and line % PROGRESS_EVERY == 0:
                progress(min(line, total), total)
            # The file's own line where the record starts (a quoted cell may span lines).
            start, line = line + 1, getattr(rows, "line_num", line + 1)
            if not row or not any(cell.strip() for cell in row):
                continue
            report.rows += 1
            if max_rows is not None and report.rows > max_rows:
                report.error(start, "too_many_rows", str(max_rows))
                return
            yield start, row
    except csv.Error as exc:
        report.error(getattr(rows, "line_num", line + 1), "bad_csv", str(exc))


def read_header(
    data: bytes, report: ImportReport, encoding: str | None
) -> tuple[Iterator[list[str]], list[str]] | None:
    """Decode and read the header row; None (with the reason reported) if not. The rows
    after it are read lazily, so a bad line is reported with its own number."""
    try:
        text, report.encoding = decode(data, encoding)
    except EncodingProblem as problem:
        report.error(problem.line, problem.code)
        return None
    rows = iter(csv_rows(text))
    try:
        header = next(rows)
    except (StopIteration, csv.Error):
        report.error(0, "empty_file")
        return None
    return rows, header


def _open(
    data: bytes, report: ImportReport, encoding: str | None
) -> tuple[Iterator[list[str]], dict[str, int]] | None:
    """Decode, read the header and map the columns; None (with the reason reported) if not."""
    opened = read_header(data, report, encoding)
    if opened is None:
        return None
    rows, header = opened
    columns = _columns(header, report.kind, report)
    return None if columns is None else (rows, columns)


def import_customers(
    engine: Engine, data: bytes, max_rows: int | None = None, encoding: str | None = None
) -> ImportReport:
    started = time.perf_counter()
    report = ImportReport(ImportKind.CUSTOMERS)
    opened = _open(data, report, encoding)
    if opened is None:
        return report
    rows, columns = opened
    with Session(engine) as session:
        existing = {c.id: c for c in session.exec(sqlmodel_select(Customer))}
    parsed: dict[str, dict[str, str | None]] = {}
    lines: dict[str, int] = {}
    for line, row in numbered_rows(rows, report, max_rows):
        cells = {key: (row[i].strip() if i < len(row) else "") for key, i in columns.items()}
        customer_id = clean_id(cells["id"] or "")
        if customer_id is None:
            report.error(line, "bad_customer_id", cells["id"] or "")
            continue
        if any(CONTROL_CHARACTERS.search(v or "") for v in cells.values()):
            report.error(line, "control_characters", customer_id)
            continue
        record: dict[str, str | None] = {
            key: (cells.get(key) or "")[:200] for key in ("name", "segment", "region", "channel")
        }
        referrer = cells.get("referred_by") or None
        record["referred_by"] = referrer
        if customer_id in parsed:
            if parsed[customer_id] == record:
                report.skip(line, "duplicate_row", str(lines[customer_id]))
            else:
                report.error(line, "conflicting_duplicate", customer_id)
            continue
        parsed[customer_id] = record
        lines[customer_id] = line
    for customer_id, record in parsed.items():
        referrer = record["referred_by"]
        if referrer is None:
            continue
        if referrer == customer_id:
            report.error(lines[customer_id], "self_referral", customer_id)
        elif referrer not in parsed and referrer not in existing:
            report.error(lines[customer_id], "unknown_referrer", referrer)
    if report.error_count:
        report.seconds = time.perf_counter() - started
        return report
    table = CUSTOMER
    now = datetime.now(UTC)
    changed = False
    with engine.begin() as connection:
        for customer_id, record in parsed.items():
            old = existing.get(customer_id)
            fields = {k: record[k] for k in ("name", "segment", "region", "channel")}
            if old is None:
                connection.execute(
                    table.insert(),
                    {"id": customer_id, "updated_at": now, "referred_by": None, **fields},
                )
                report.inserted += 1
                changed = True
            elif (
                any(getattr(old, k) != v for k, v in fields.items())
                or old.referred_by != record["referred_by"]
            ):
                connection.execute(
                    update(table).where(table.c.id == customer_id).values(updated_at=now, **fields)
                )
                report.updated += 1
                changed = True
            else:
                report.skip(lines[customer_id], "unchanged", customer_id)
        # Referrers second, once every customer of the file exists.
        for customer_id, record in parsed.items():
            old = existing.get(customer_id)
            if old is None or old.referred_by != record["referred_by"]:
                connection.execute(
                    update(table)
                    .where(table.c.id == customer_id)
                    .values(referred_by=record["referred_by"])
                )
        if changed:
            bump_revision(connection)
    report.committed = True
    report.seconds = time.perf_counter() - started
    return report


def import_file(
    engine: Engine,
    kind: ImportKind,
    data: bytes | Path,
    max_rows: int | None = None,
    encoding: str | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Either kind of file. `encoding` None: UTF-8, GB18030/GBK or Big5, detected. A path is
    read a block at a time when it is a good transactions file, so large files need little
    memory. Needs no value engine, so `cvm import` starts without SciPy."""
    if kind is ImportKind.CUSTOMERS:
        if isinstance(data, Path):
            data = data.read_bytes()
        return import_customers(engine, data, max_rows, encoding)
    from bot.customers.transactions_import import import_transactions  # it imports this

    return import_transactions(engine, data, max_rows, encoding=encoding, progress=progress)
