"""The one way the project writes CSV.

A cell that a spreadsheet would run as a formula (`=HYPERLINK(...)`, `@SUM(...)`, `+1`,
or one opening with a tab or carriage return) is written with a leading apostrophe, as
OWASP advises for CSV injection: a player's name or a customer id is data, never a
formula on the trainer's or manager's machine. Numbers, negative ones included, are
written as they are.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Any, Protocol

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
