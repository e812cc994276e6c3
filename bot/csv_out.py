"""The one way the project writes CSV.

A cell that a spreadsheet would run as a formula (`=HYPERLINK(...)`, `@SUM(...)`, `+1`,
or one opening with a tab or carriage return) is written with a leading apostrophe, as
OWASP advises for CSV injection: a player's name or a customer id is data, never a
formula on the trainer's or manager's machine. Numbers, negative ones included, are
written as they are.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

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


def write_columns(path: Path, columns: dict[str, Sequence[str] | NDArray[np.float64]]) -> None:
    """A large table of text and float columns (a million scored customers), written by
    pyarrow in a fraction of the row writer's time, with the same rule for text cells as
    `safe_cell`; floats are rounded to 6 decimals."""
    import pyarrow as pa
    import pyarrow.compute as pc
    from pyarrow import csv as pa_csv

    arrays = []
    for values in columns.values():
        if isinstance(values, np.ndarray):
            arrays.append(pc.round(pa.array(values, type=pa.float64()), 6))
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
        arrays.append(pc.if_else(formula, pc.binary_join_element_wise("'", text, ""), text))
    table = pa.table(arrays, names=list(columns))
    options = pa_csv.WriteOptions(quoting_style="needed")
    pa_csv.write_csv(table, str(path), write_options=options)
