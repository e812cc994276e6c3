"""What an import did, row by row: kept apart from the importers, which need the
database, so that rendering a report (and the CLI's start) does not load it."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

MAX_REPORTED = 50


class ImportKind(StrEnum):
    CUSTOMERS = "customers"
    TRANSACTIONS = "transactions"
    SURVEY = "survey"


@dataclass(frozen=True, slots=True)
class RowIssue:
    line: int  # line number in the file (header is line 1); 0: the file as a whole
    code: str  # e.g. "bad_date", "unknown_customer" (texts are looked up by code)
    value: str = ""


@dataclass(slots=True)
class ImportReport:
    kind: ImportKind
    encoding: str = ""
    rows: int = 0
    inserted: int = 0
    updated: int = 0
    skipped: list[RowIssue] = field(default_factory=list)
    errors: list[RowIssue] = field(default_factory=list)
    error_count: int = 0
    skipped_count: int = 0
    committed: bool = False
    seconds: float = 0.0
    instrument: str = ""  # surveys: delivered-value, kano or equity
    scale: int = 0  # surveys: the rating scale's top (1..scale)
    scale_inferred: bool = False  # surveys: no scale declared, read as 1-5
    wave: str = ""  # surveys: the wave the answers went into
    wave_of_its_own: str = ""  # surveys: the wave asked other items, so this is a new one

    def error(self, line: int, code: str, value: str = "") -> None:
        self.error_count += 1
        if len(self.errors) < MAX_REPORTED:
            self.errors.append(RowIssue(line, code, value[:80]))

    def skip(self, line: int, code: str, value: str = "") -> None:
        self.skipped_count += 1
        if len(self.skipped) < MAX_REPORTED:
            self.skipped.append(RowIssue(line, code, value[:80]))

    def as_json_dict(self) -> dict[str, object]:
        data: dict[str, object] = {
            "kind": self.kind.value,
            "encoding": self.encoding,
            "rows": self.rows,
            "inserted": self.inserted,
            "updated": self.updated,
            "skipped": self.skipped_count,
            "errors": self.error_count,
            "committed": self.committed,
            "seconds": round(self.seconds, 3),
            "error_rows": [{"line": i.line, "code": i.code, "value": i.value} for i in self.errors],
            "skipped_rows": [
                {"line": i.line, "code": i.code, "value": i.value} for i in self.skipped
            ],
        }
        if self.kind is ImportKind.SURVEY:
            data.update(instrument=self.instrument, scale=self.scale, wave=self.wave)
        return data
