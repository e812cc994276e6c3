"""The transaction import's fast path: a good file checked column by column.

Most files are good. pyarrow reads one as columns of text and every check of the row path
(`transactions_import`) runs as an array operation: known customers, timestamps that parse,
none in the future, amounts that are numbers and not zero, margins, costs, transaction
ids, no id twice. A file that fails any check, or uses a format the array parser does not
read (a time-zone offset, YYYY/MM/DD), goes to the row path, which names every bad line;
so both paths accept exactly the same files.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from pyarrow import csv as pa_csv

from bot.arrow_columns import all_distinct
from bot.customers.csv_import import CONTROL_CHARACTERS, MAX_ID_CHARS

_CONTROL = CONTROL_CHARACTERS.pattern
_FIRST_YEAR = datetime(1970, 1, 1)
_LAST_YEAR = datetime(2201, 1, 1)
US_PER_DAY = 86_400_000_000


@dataclass(frozen=True, slots=True)
class CheckedColumns:
    """A good file's rows, ready to stage: one Arrow array per staging column (Python
    objects are made a batch at a time, so a million rows stay a few hundred MB)."""

    refs: Any
    customer_ids: Any
    moments: Any  # timestamp[us], naive UTC
    days: Any
    amounts: Any
    margins: Any
    costs: Any

    def __len__(self) -> int:
        return len(self.refs)

    def batches(self, size: int, as_text: bool) -> Iterator[list[tuple[Any, ...]]]:
        """Staging rows (line, ref, customer, ts, day, amount, margin, cost); `as_text`:
        timestamps as the text SQLAlchemy's DateTime stores on SQLite."""
        for start in range(0, len(self), size):
            part = slice(start, start + size)
            moments = self.moments[part]
            stamps = pc.strftime(moments, "%Y-%m-%d %H:%M:%S") if as_text else moments
            yield list(
                zip(
                    range(start + 2, start + 2 + len(moments)),
                    self.refs[part].to_pylist(),
                    self.customer_ids[part].to_pylist(),
                    stamps.to_pylist(),  # "%S" of a timestamp[us] carries .ffffff
                    self.days[part].to_pylist(),
                    self.amounts[part].to_pylist(),
                    self.margins[part].to_pylist(),
                    self.costs[part].to_pylist(),
                    strict=True,
                )
            )


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
    blank = pc.equal(pc.utf8_trim_whitespace(column), "")
    text = pc.if_else(blank, pa.scalar(None, pa.string()), column)
    values = _numbers(text) if pc.any(pc.invert(blank)).as_py() else None
    if values is None:
        if pc.all(blank).as_py():
            return pa.nulls(len(column), pa.float64())
        return None
    if not pc.all(pc.or_(pc.is_null(values), pc.is_finite(values))).as_py():
        return None
    return values


def check_columns(
    data: bytes,
    header: list[str],
    columns: dict[str, int],
    known: set[str],
    latest: datetime,
    max_rows: int | None,
) -> CheckedColumns | None:
    """The rows of `data` (UTF-8) when every one passes, else None (the row path reports
    why)."""
    try:
        table = pa_csv.read_csv(
            io.BytesIO(data),  # UTF-8, with or without a BOM
            read_options=pa_csv.ReadOptions(
                column_names=[f"c{i}" for i in range(len(header))], skip_rows=1
            ),
            convert_options=pa_csv.ConvertOptions(
                column_types={f"c{i}": pa.string() for i in range(len(header))},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
            parse_options=pa_csv.ParseOptions(newlines_in_values=False),
        )
    except (pa.ArrowInvalid, UnicodeError):
        return None
    n = table.num_rows
    if n == 0 or (max_rows is not None and n > max_rows):
        return None

    def col(key: str) -> Any:
        return table.column(f"c{columns[key]}").combine_chunks()

    ids = pc.utf8_trim_whitespace(col("customer_id"))
    if (
        pc.min(pc.utf8_length(ids)).as_py() == 0
        or pc.max(pc.utf8_length(ids)).as_py() > MAX_ID_CHARS
        or pc.any(pc.match_substring_regex(ids, _CONTROL)).as_py()
        or not pc.all(pc.is_in(ids, value_set=pa.array(list(known), pa.string()))).as_py()
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
    if amounts is None or amounts.null_count or pc.any(pc.equal(amounts, 0.0)).as_py():
        return None
    margins = _optional_numbers(col("gross_margin")) if "gross_margin" in columns else None
    costs = _optional_numbers(col("cost")) if "cost" in columns else None
    if "gross_margin" in columns and margins is None:
        return None
    if "cost" in columns and (costs is None or pc.any(pc.less(costs, 0.0)).as_py()):
        return None
    if "transaction_id" in columns:
        refs = pc.utf8_trim_whitespace(col("transaction_id"))
        if (
            pc.max(pc.utf8_length(refs)).as_py() > 128
            or pc.any(pc.match_substring_regex(refs, _CONTROL)).as_py()
        ):
            return None
    else:
        refs = pa.array([""] * n, pa.string())
    missing = pc.indices_nonzero(pc.equal(refs, "")).to_numpy()
    if missing.size:  # the row path's content hash, for lines without an id
        ref_list = refs.to_pylist()
        picked = pa.array(missing)
        who = pc.take(ids, picked).to_pylist()
        when = pc.take(moments, picked).to_pylist()
        much = pc.take(amounts, picked).to_pylist()
        for i, cid, ts, amount in zip(missing.tolist(), who, when, much, strict=True):
            key = f"{cid}\x1f{ts.isoformat()}\x1f{amount!r}"
            ref_list[i] = "h:" + hashlib.sha1(key.encode()).hexdigest()
        refs = pa.array(ref_list, pa.string())
        del ref_list
    if not all_distinct(refs):
        return None  # a transaction twice: the row path tells same from conflicting
    days = pa.array(pc.cast(moments, pa.int64()).to_numpy() // US_PER_DAY)
    return CheckedColumns(
        refs=refs,
        customer_ids=ids,
        moments=moments,
        days=days,
        amounts=amounts,
        margins=pa.nulls(n, pa.float64()) if margins is None else margins,
        costs=pa.nulls(n, pa.float64()) if costs is None else costs,
    )
