"""Reading a company's CSV file into numbered rows, and the cell rules every import shares.

Kept apart from the importers so that the customer, transaction and survey imports use
one set of rules without importing each other (csv_import and transactions_import used
to import each other in a ring).

A row is reported on the file's own line where it starts, so a quoted cell that never
closes is named where its quote opened rather than at the end of the file, and a row
with more non-blank cells than the header is refused instead of losing the extra cell
without a word (trailing blank cells, as some spreadsheets write, are not an error).
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, date, datetime

from bot.customers.encodings import EncodingProblem, decode
from bot.customers.import_report import ImportKind, ImportReport

MAX_ID_CHARS = 64
EPOCH = date(1970, 1, 1)
Progress = Callable[[int, int], None]  # (done, total), see bot.progress
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")  # never in an id or a name
PROGRESS_EVERY = 20_000  # rows between progress reports

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
_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M", "%Y/%m/%d %H:%M:%S")


def columns_of(header: list[str], kind: ImportKind, report: ImportReport) -> dict[str, int] | None:
    """Field name -> column index; None (reported on line 1) when a required one is missing."""
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


def numbered_rows(
    rows: Iterator[list[str]],
    report: ImportReport,
    max_rows: int | None,
    progress: Progress | None = None,
    total: int = 0,
    width: int | None = None,
) -> Iterator[tuple[int, list[str]]]:
    """(line number, cells) of every non-blank row; stops at the row limit or at malformed
    CSV, reporting either against the line where its record starts. `width`: the header's
    cells; a row with a non-blank cell beyond it is reported ("extra_values") and not
    yielded. `progress(rows read, total)` now and then."""
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
            if width is not None and any(cell.strip() for cell in row[width:]):
                report.error(start, "extra_values", ",".join(row[width:]))
                continue
            yield start, row
    except csv.Error as exc:
        # The record that failed starts on the line after the last one read whole: a
        # quote that never closes swallowed the rest of the file, so that is where it opened.
        spans = getattr(rows, "line_num", line + 1) > line + 1
        unclosed = spans or "end of data" in str(exc)
        report.error(line + 1, "unclosed_quote" if unclosed else "bad_csv", str(exc))


def read_header(
    data: bytes, report: ImportReport, encoding: str | None
) -> tuple[Iterator[list[str]], list[str]] | None:
    """Decode and read the header row; None (with the reason reported) if not. The rows
    after it are read lazily, so a bad line is reported with its own number."""
    try:
        text, report.encoding = decode(data, encoding)
    except EncodingProblem as problem:
        report.error(problem.line, problem.code, problem.value)
        return None
    return header_of(text, report)


def header_of(text: str, report: ImportReport) -> tuple[Iterator[list[str]], list[str]] | None:
    """The header row of decoded text and a lazy reader of the rows after it."""
    rows = iter(csv_rows(text))
    try:
        header = next(rows)
    except (StopIteration, csv.Error):
        report.error(0, "empty_file")
        return None
    return rows, header


Opened = tuple[Iterator[list[str]], dict[str, int], int]  # rows, columns, header width


def open_rows(data: bytes, report: ImportReport, encoding: str | None) -> Opened | None:
    """Decode, read the header and map the columns, or None (with the reason reported)."""
    opened = read_header(data, report, encoding)
    if opened is None:
        return None
    rows, header = opened
    columns = columns_of(header, report.kind, report)
    return None if columns is None else (rows, columns, len(header))
