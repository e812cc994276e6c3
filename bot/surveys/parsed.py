"""What a checked survey file holds, between the row checks and the write."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class ParsedRespondent:
    """One respondent's answers, keyed by item (a Kano feature, a component, a driver)."""

    line: int
    customer_id: str | None
    segment: str | None
    outcome: float | None = None
    ratings: dict[str, float] = field(default_factory=dict)  # item -> rating (Kano: f*10+d)
    weights: dict[str, float] = field(default_factory=dict)
    competitor: dict[str, float] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)  # item -> line (Kano rows)


@dataclass(slots=True)
class ParsedSurvey:
    items: list[str] = field(default_factory=list)
    respondents: dict[str, ParsedRespondent] = field(default_factory=dict)
    declared_scale: int | None = None
    competitor_name: str | None = None
