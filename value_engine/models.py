"""Typed results of the value engine: fitted parameters and per-customer breakdowns.

These are the only objects the bot layer sees; nothing here knows about Telegram.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any


@dataclass(frozen=True, slots=True)
class BgNbdParams:
    r: float
    alpha: float
    a: float
    b: float
    loglik: float = float("nan")
    customers: int = 0
    converged: bool = True

    def as_json_dict(self) -> dict[str, float]:
        return {"r": self.r, "alpha": self.alpha, "a": self.a, "b": self.b, "loglik": self.loglik}


@dataclass(frozen=True, slots=True)
class GammaGammaParams:
    p: float
    q: float
    v: float
    loglik: float = float("nan")
    customers: int = 0
    converged: bool = True

    def as_json_dict(self) -> dict[str, float]:
        return {"p": self.p, "q": self.q, "v": self.v, "loglik": self.loglik}


@dataclass(frozen=True, slots=True)
class FittedModels:
    """Both models plus the time unit they were fitted in (days per unit)."""

    bgnbd: BgNbdParams
    gamma_gamma: GammaGammaParams
    unit_days: float
    as_of: date

    def as_json_dict(self) -> dict[str, Any]:
        return {
            "bgnbd": self.bgnbd.as_json_dict(),
            "gamma_gamma": self.gamma_gamma.as_json_dict(),
            "unit_days": self.unit_days,
            "as_of": self.as_of.isoformat(),
        }

    @classmethod
    def from_json_dict(cls, data: dict[str, Any]) -> FittedModels:
        return cls(
            bgnbd=BgNbdParams(**data["bgnbd"]),
            gamma_gamma=GammaGammaParams(**data["gamma_gamma"]),
            unit_days=float(data["unit_days"]),
            as_of=date.fromisoformat(data["as_of"]),
        )


class Tier(StrEnum):
    """Pareto tier: A makes up the first 80% of profit, B the next 15%, C the rest."""

    A = "A"
    B = "B"
    C = "C"


class Risk(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class Trend(StrEnum):
    UP = "up"
    FLAT = "flat"
    DOWN = "down"
    NEW = "new"


class RfmSegment(StrEnum):
    """Named RFM segments, from the usual R × FM grid."""

    CHAMPIONS = "champions"
    LOYAL = "loyal"
    POTENTIAL_LOYALIST = "potential_loyalist"
    NEW = "new"
    PROMISING = "promising"
    NEEDS_ATTENTION = "needs_attention"
    AT_RISK = "at_risk"
    CANNOT_LOSE = "cannot_lose"
    HIBERNATING = "hibernating"
    LOST = "lost"


@dataclass(frozen=True, slots=True)
class Citation:
    """A corpus passage a recommendation is grounded in."""

    doc: str
    title: str
    section: str
    text: str


@dataclass(frozen=True, slots=True)
class Recommendation:
    strategy: str  # key into the rule table
    action: dict[str, str]  # per language code: "en", "zh-Hant", "zh-Hans"
    reason: dict[str, str]
    citation: Citation | None


@dataclass(frozen=True, slots=True)
class PeriodValue:
    period: str  # e.g. "2025-Q3"
    revenue: float
    profit: float


@dataclass(frozen=True, slots=True)
class CustomerScore:
    """One customer's row of the scored table (what the bot shows on the card)."""

    customer_id: str
    frequency: int
    recency: float
    age: float
    monetary: float
    expected_purchases: float
    p_alive: float
    expected_spend: float
    clv: float
    realized_value: float
    potential_value: float
    influence_value: float
    revenue: float
    margin_rate: float
    r_score: int
    f_score: int
    m_score: int
    segment: RfmSegment
    tier: Tier
    risk: Risk
    trend: Trend
    trend_change: float  # profit of the last period minus the one before
    referrals: int


@dataclass(frozen=True, slots=True)
class SegmentStats:
    segment: RfmSegment
    customers: int
    share_customers: float
    share_profit: float
    avg_clv: float
    avg_p_alive: float
    avg_realized: float


@dataclass(slots=True)
class CustomerBreakdown:
    """Everything a manager sees about one customer."""

    customer_id: str
    name: str
    attributes: dict[str, str]
    score: CustomerScore
    history: list[PeriodValue]
    drivers: list[str]  # keys of the facts that drive this customer's value
    recommendations: list[Recommendation]
    segment_stats: SegmentStats | None
    horizon_months: int
    as_of: date
    margin_assumed: bool
    recent_transactions: list[tuple[str, float]] = field(default_factory=list)

    def as_json_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["as_of"] = self.as_of.isoformat()
        return data
