"""The one way the project writes CSV.

A cell that a spreadsheet would run as a formula (`=HYPERLINK(...)`, `@SUM(...)`, `+1`,
or one opening with a tab or carriage return) is written with a leading apostrophe, as
OWASP advises for CSV injection: a player's name or a customer id is data, never a
formula on the trainer's or manager's machine. Numbers, negative ones included, are
written as they are.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Protocol

import numpy as np

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class _Writable(Protocol):
    def write(self, text: str, /) -> Any: ...


def safe_cell(value: object) -> object:
    if not isinstance(value, str) or not value.startswith(FORMULA_STARTS):
        return value
    try:
        float(value)
    except ValueError:
        return "'" + value
    return value  # "-12.50" is a number, not a formula


class SafeWriter:
    def __init__(self, handle: _Writable, **options: Any) -> None:
        self._writer = csv.writer(handle, **options)

    def writerow(self, row: Iterable[object]) -> None:
        self._writer.writerow([safe_cell(value) for value in row])


def csv_writer(handle: _Writable, **options: Any) -> SafeWriter:
    return SafeWriter(handle, **options)


_NUMBER = r"^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$"


def _safe_table(columns: Mapping[str, object]) -> Any:
    """Columns as an Arrow table: text cells under `safe_cell`'s rule, floats rounded to 6
    decimals."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from bot.arrow_columns import numbers

    arrays = []
    for values in columns.values():
        if isinstance(values, np.ndarray):
            # From the buffer: pa.array() would import pandas (when installed) to check
            # the input's type, a fifth of a second on every start of the CLI.
            arrays.append(pc.round(numbers(values), 6))
            continue
        text = (
            values.combine_chunks()
            if isinstance(values, pa.ChunkedArray)
            else values
            if isinstance(values, pa.Array)
            else pa.array(values, type=pa.string())
        )
        risky = pc.starts_with(text, FORMULA_STARTS[0])
        for start in FORMULA_STARTS[1:]:
            risky = pc.or_(risky, pc.starts_with(text, start))
        formula = pc.and_(risky, pc.invert(pc.match_substring_regex(text, _NUMBER)))
        quoted = pc.utf8_replace_slice(
            text, 0, 0, "'"
        )  # (a Python scalar argument would import pandas)
        arrays.append(pc.if_else(formula, quoted, text))
    return pa.table(arrays, names=list(columns))


class ColumnWriter:
    """Large tables of text and float columns (a million scored customers at a time),
    written by pyarrow batch after batch in a fraction of the row writer's time, with the
    same rule for text cells as `safe_cell`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._writer: Any = None

    def write(self, columns: Mapping[str, object]) -> None:
        from pyarrow import csv as pa_csv

        table = _safe_table(columns)
        if self._writer is None:
            options = pa_csv.WriteOptions(quoting_style="needed")
            self._writer = pa_csv.CSVWriter(str(self.path), table.schema, write_options=options)
        self._writer.write_table(table)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()

    def __enter__(self) -> ColumnWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def write_columns(path: Path, columns: Mapping[str, object]) -> None:
    with ColumnWriter(path) as writer:
        writer.write(columns)
