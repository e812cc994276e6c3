"""Validated, all-or-nothing CSV imports of customers and transactions.

A file is read whole, every row is checked, and only if no row is in error is
anything written, in one database transaction that also bumps the data
revision. Rows that are already in the database (same transaction id, or the
same customer, time and amount when the file has no id) are skipped, so
importing a file twice changes nothing the second time.

The importers live in `customers_import` and `transactions_import`, the rules they share
in `csv_rows`; this module tells which import a file is and hands it over. The shared
names stay importable from here for the survey import and older callers.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from sqlalchemy import Engine

from bot.customers.csv_rows import (
    ALIASES,
    CONTROL_CHARACTERS,
    EPOCH,
    MAX_ID_CHARS,
    OPTIONAL,
    PROGRESS_EVERY,
    REQUIRED,
    Progress,
    clean_id,
    csv_rows,
    numbered_rows,
    parse_number,
    parse_timestamp,
    read_header,
)
from bot.customers.customers_import import import_customers
from bot.customers.encodings import EncodingProblem, decode
from bot.customers.import_report import ImportKind, ImportReport

__all__ = [
    "ALIASES",
    "CONTROL_CHARACTERS",
    "EPOCH",
    "MAX_ID_CHARS",
    "OPTIONAL",
    "PROGRESS_EVERY",
    "REQUIRED",
    "Progress",
    "clean_id",
    "csv_rows",
    "detect_kind",
    "import_customers",
    "import_file",
    "numbered_rows",
    "parse_number",
    "parse_timestamp",
    "read_header",
    "sniff_header",
]


def sniff_header(data: bytes) -> list[str] | None:
    """The header row of a CSV file from its first 4 KB, before deciding how to import it.
    A file whose later lines mix encodings still has a header to read (the import then
    names the bad line), so the lines before the first bad one are read instead."""
    head = data[:4096]
    cut = head.rfind(b"\n") + 1 if len(data) > len(head) else len(head)  # whole lines only
    head = head[: cut or len(head)]
    try:
        text, _ = decode(head)
    except EncodingProblem as problem:
        if problem.line <= 1:
            return None
        before = b"\n".join(head.split(b"\n")[: problem.line - 1])
        try:
            text, _ = decode(before)
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
    from bot.customers.transactions_import import import_transactions

    return import_transactions(engine, data, max_rows, encoding=encoding, progress=progress)
