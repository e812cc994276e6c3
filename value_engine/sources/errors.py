"""The errors of a source, shared by the DuckDB and the Spark reader."""

from __future__ import annotations

from value_engine.row_rules import BrokenRule


class SourceError(ValueError):
    """The source cannot be summarised; the message says why in one line."""


class BadRows(SourceError):
    """Rows that break the import's rules (value_engine.row_rules): the source is refused
    as `cvm import` refuses such a file, with each rule's count and an example. `where`
    and `broken` let a caller word it in the import's own texts."""

    def __init__(self, where: str, broken: list[BrokenRule]) -> None:
        self.where, self.broken = where, broken
        told = "; ".join(f"{b.rows} {b.code.replace('_', ' ')} ({b.example!r})" for b in broken)
        super().__init__(f"{where}: rows that cvm import refuses: {told}")
