"""Calendar quarters as the value history shows them (a manager reads "2026-Q3").

Days are counted from 1970-01-01 in UTC, as the transaction log stores them.
"""

from __future__ import annotations

from datetime import date, timedelta

EPOCH = date(1970, 1, 1)


def quarter_index(day: date) -> int:
    return day.year * 4 + (day.month - 1) // 3


def quarter_start(index: int) -> date:
    return date(index // 4, (index % 4) * 3 + 1, 1)


def quarter_label(index: int) -> str:
    return f"{index // 4}-Q{index % 4 + 1}"


def last_quarters(as_of_day: int, count: int) -> list[tuple[int, int]]:
    """(quarter index, its first day number) for the `count` quarters up to the one
    holding `as_of_day`, oldest first."""
    last = quarter_index(EPOCH + timedelta(days=as_of_day))
    return [
        (index, (quarter_start(index) - EPOCH).days) for index in range(last - count + 1, last + 1)
    ]
