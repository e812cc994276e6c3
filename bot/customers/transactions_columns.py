"""The transaction import's fast path: a good file checked column by column, a block at a
time.

Most files are good. pyarrow reads one as blocks of text columns and every check of the
row path (`transactions_import`) runs as an array operation on each block: known
customers, timestamps that parse, none in the future, amounts that are numbers and not
zero, margins, costs, transaction ids, and at the end no id twice in the whole file. Only
the current block and the file's ids are in memory, so a million rows stay well under
the import's memory budget. A block that fails any check, or a format the array parser
does not read (a time-zone offset, YYYY/MM/DD, a quoted line break), raises `Unchecked`:
the caller rolls back what it wrote and the row path names every bad line, so both paths
accept exactly the same files.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from pyarrow import csv as pa_csv

from bot.arrow_columns import all_distinct, scalar, strings
from bot.customers.csv_rows import CONTROL_CHARACTERS, MAX_ID_CHARS

_CONTROL = CONTROL_CHARACTERS.pattern
# Arrow scalars made once, from buffers: a Python one would import pandas (`arrow_columns`).
_ZERO = scalar(0.0, pa.float64())
_EMPTY = scalar("", pa.string())
_NO_TEXT = scalar(None, pa.string())
_FIRST_YEAR = datetime(1970, 1, 1)
_LAST_YEAR = datetime(2201, 1, 1)
_US_PER_DAY = scalar(86_400_000_000, pa.int64())
BLOCK_BYTES = 2 << 20  # about 40,000 rows of a typical export per block


class Unchecked(Exception):
    """The columns cannot vouch for every row: the row path decides, and names the lines."""


@dataclass(frozen=True, slots=True)
class CheckedColumns:
    """One block's good rows, in the file's order (exports come in id order, the order
    the unique ref index grows fastest in): one Arrow array per stored column."""

    refs: Any
    customer_ids: Any
    moments: Any  # timestamp[us], naive UTC
    days: Any
    amounts: Any
    margins: Any
    costs: Any

    def __len__(self) -> int:
        return len(self.refs)

    def rows(self, as_text: bool, size: int = 20_000) -> Iterator[list[tuple[Any, ...]]]:
        """(ref, customer, ts, day, amount, margin, cost) tuples for a driver's executemany,
        `size` at a time (as Python objects a row takes ten times its Arrow bytes);
        `as_text`: timestamps as the text SQLAlchemy's DateTime stores on SQLite."""
        # Arrow's cast to text writes "YYYY-MM-DD HH:MM:SS.ffffff", SQLAlchemy's own
        # format, ten times faster than strftime.
        stamps = pc.cast(self.moments, pa.string()) if as_text else self.moments
        for start in range(0, len(self), size):
            part = slice(start, start + size)
            yield list(
                zip(
                    self.refs[part].to_pylist(),
                    self.customer_ids[part].to_pylist(),
                    stamps[part].to_pylist(),
                    self.days[part].to_pylist(),
                    self.amounts[part].to_pylist(),
                    self.margins[part].to_pylist(),
                    self.costs[part].to_pylist(),
                    strict=True,
                )
            )

    def csv(self) -> bytes:
        """The rows as CSV for PostgreSQL's COPY (empty is NULL, numbers round-trip)."""
        table = pa.table(
            [self.refs, self.customer_ids, self.moments, self.days, self.amounts,
             self.margins, self.costs],
            names=["ref", "customer_id", "ts", "day", "amount", "gross_margin", "cost"],
        )  # fmt: skip
        out = io.BytesIO()
        pa_csv.write_csv(table, out, pa_csv.WriteOptions(include_header=False))
        return out.getvalue()


def checked_blocks(
    source: bytes | Path,
    width: int,
    columns: dict[str, int],
    known: set[str],
    latest: datetime,
    max_rows: int | None,
) -> Iterator[CheckedColumns]:
    """The good rows of a UTF-8 file whose header has `width` cells, block by block;
    `Unchecked` as soon as a block fails, or at the end if a ref came twice."""
    names = [f"c{i}" for i in range(width)]
    try:
        reader = pa_csv.open_csv(
            pa.BufferReader(source) if isinstance(source, bytes) else str(source),
            read_options=pa_csv.ReadOptions(
                column_names=names,
                skip_rows=1,
                block_size=BLOCK_BYTES,
                use_threads=False,  # one block at a time: read_ahead overlaps the rest
            ),
            convert_options=pa_csv.ConvertOptions(
                column_types={name: pa.string() for name in names},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
            parse_options=pa_csv.ParseOptions(newlines_in_values=False),
        )
    except (pa.ArrowException, UnicodeError, StopIteration) as exc:
        raise Unchecked from exc
    known_ids = strings(known)
    refs: list[Any] = []
    rows = 0
    while True:
        try:
            block = reader.read_next_batch()
        except StopIteration:
            break
        except (pa.ArrowException, UnicodeError) as exc:
            raise Unchecked from exc  # malformed CSV, invalid UTF-8: the row path names it
        if block.num_rows == 0:
            continue
        rows += block.num_rows
        if max_rows is not None and rows > max_rows:
            raise Unchecked
        try:
            good = check_block(block, columns, known_ids, latest)
        except pa.ArrowException as exc:
            raise Unchecked from exc
        if good is None:
            raise Unchecked
        refs.append(good.refs)
        yield good
    if not rows or not all_distinct(pa.chunked_array(refs, pa.string())):
        raise Unchecked  # an empty file, or a transaction twice: the row path tells which


def _numbers(column: Any) -> Any | None:
    """Text to float64 as `parse_number` reads it (trimmed, thousands commas dropped); None
    when a cell does not parse or is not finite."""
    text = pc.replace_substring(pc.utf8_trim_whitespace(column), ",", "")
    try:
        values = pc.cast(text, pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    if values.null_count == 0 and not pc.all(pc.is_finite(values)).as_py():
        return None
    return values


def _optional_numbers(column: Any) -> Any | None:
    blank = pc.equal(pc.utf8_trim_whitespace(column), _EMPTY)
    text = pc.if_else(blank, _NO_TEXT, column)
    values = _numbers(text) if pc.any(pc.invert(blank)).as_py() else None
    if values is None:
        if pc.all(blank).as_py():
            return pa.nulls(len(column), pa.float64())
        return None
    if not pc.all(pc.or_(pc.is_null(values), pc.is_finite(values))).as_py():
        return None
    return values


def check_block(
    block: Any, columns: dict[str, int], known_ids: Any, latest: datetime
) -> CheckedColumns | None:
    """The block's rows when every one passes, else None."""
    n = block.num_rows

    def col(key: str) -> Any:
        return block.column(columns[key])

    ids = pc.utf8_trim_whitespace(col("customer_id"))
    if (
        pc.min(pc.utf8_length(ids)).as_py() == 0
        or pc.max(pc.utf8_length(ids)).as_py() > MAX_ID_CHARS
        or pc.any(pc.match_substring_regex(ids, _CONTROL)).as_py()
        or not pc.all(pc.is_in(ids, value_set=known_ids)).as_py()
    ):
        return None
    try:
        moments = pc.cast(pc.utf8_trim_whitespace(col("timestamp")), pa.timestamp("us"))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    first, last = pc.min(moments).as_py(), pc.max(moments).as_py()
    if first is None or first < _FIRST_YEAR or last >= _LAST_YEAR or last > latest:
        return None
    amounts = _numbers(col("amount"))
    if amounts is None or amounts.null_count or pc.any(pc.equal(amounts, _ZERO)).as_py():
        return None
    margins = _optional_numbers(col("gross_margin")) if "gross_margin" in columns else None
    costs = _optional_numbers(col("cost")) if "cost" in columns else None
    if "gross_margin" in columns and margins is None:
        return None
    if "cost" in columns and (costs is None or pc.any(pc.less(costs, _ZERO)).as_py()):
        return None
    if "transaction_id" in columns:
        refs = pc.utf8_trim_whitespace(col("transaction_id"))
        if (
            pc.max(pc.utf8_length(refs)).as_py() > 128
            or pc.any(pc.match_substring_regex(refs, _CONTROL)).as_py()
        ):
            return None
    else:
        refs = strings([""] * n)
    refs = _with_content_hashes(refs, ids, moments, amounts)
    # Integer division truncates, which is the floor for moments from 1970 on; pyarrow's
    # to_numpy would import pandas, a third of a second of every import's start.
    days = pc.divide(pc.cast(moments, pa.int64()), _US_PER_DAY)
    return CheckedColumns(
        refs=refs,
        customer_ids=ids,
        moments=moments,
        days=days,
        amounts=amounts,
        margins=pa.nulls(n, pa.float64()) if margins is None else margins,
        costs=pa.nulls(n, pa.float64()) if costs is None else costs,
    )


def _with_content_hashes(refs: Any, ids: Any, moments: Any, amounts: Any) -> Any:
    """The row path's content hash as the ref of lines without a transaction id."""
    picked = pc.indices_nonzero(pc.equal(refs, _EMPTY))
    if not len(picked):
        return refs
    ref_list = refs.to_pylist()
    who = pc.take(ids, picked).to_pylist()
    when = pc.take(moments, picked).to_pylist()
    much = pc.take(amounts, picked).to_pylist()
    for i, cid, ts, amount in zip(picked.to_pylist(), who, when, much, strict=True):
        key = f"{cid}\x1f{ts.isoformat()}\x1f{amount!r}"
        ref_list[i] = "h:" + hashlib.sha1(key.encode()).hexdigest()
    return strings(ref_list)
