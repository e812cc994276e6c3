"""Typed results of the value engine: fitted parameters and per-customer breakdowns.

These are the only objects the bot layer sees; nothing here knows about Telegram.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any


class ModelError(ArithmeticError):
    """The models produced a number that is not finite; nothing is returned or stored."""


class PurchaseModel(StrEnum):
    """BG/NBD, or one of its limits (see `dropout_limits`): NBD when the data show no
    dropout, a dropout probability common to every customer when they show no spread, a
    share of customers who stop after their first repeat purchase and others who never
    stop when dropout is all or nothing (`dropout_split`)."""

    BGNBD = "bgnbd"
    NBD = "nbd"
    COMMON_DROPOUT = "common_dropout"
    DROPOUT_SPLIT = "dropout_split"


class SpendModel(StrEnum):
    """Gamma-Gamma, or the average spend per purchase when too few customers bought
    again for the spread of their spend to be estimated."""

    GAMMA_GAMMA = "gamma_gamma"
    AVERAGE = "average"


@dataclass(frozen=True, slots=True)
class BgNbdParams:
    r: float
    alpha: float
    a: float  # 0 for the limiting models
    b: float  # 0 for the limiting models
    loglik: float = float("nan")
    customers: int = 0
    converged: bool = True
    kind: PurchaseModel = PurchaseModel.BGNBD
    at_bound: tuple[str, ...] = ()  # parameters the optimizer left at a search bound
    p: float = 0.0  # COMMON_DROPOUT: the dropout probability; DROPOUT_SPLIT: leavers' share

    def as_json_dict(self) -> dict[str, Any]:
        return {
            "r": self.r,
            "alpha": self.alpha,
            "a": self.a,
            "b": self.b,
            "loglik": self.loglik,
            "converged": self.converged,
            "kind": self.kind.value,
            "at_bound": list(self.at_bound),
            "p": self.p,
        }

    @classmethod
    def from_json_dict(cls, data: dict[str, Any]) -> BgNbdParams:
        return cls(
            r=float(data["r"]),
            alpha=float(data["alpha"]),
            a=float(data["a"]),
            b=float(data["b"]),
            loglik=float(data.get("loglik", float("nan"))),
            converged=bool(data.get("converged", True)),
            kind=PurchaseModel(data.get("kind", PurchaseModel.BGNBD.value)),
            at_bound=tuple(data.get("at_bound", ())),
            p=float(data.get("p", 0.0)),
        )


@dataclass(frozen=True, slots=True)
class GammaGammaParams:
    p: float
    q: float
    v: float
    loglik: float = float("nan")
    customers: int = 0
    converged: bool = True
    kind: SpendModel = SpendModel.GAMMA_GAMMA
    mean_spend: float = 0.0  # the average spend per purchase, used by SpendModel.AVERAGE
    at_bound: tuple[str, ...] = ()
    why_average: str = ""  # the FitNote that made SpendModel.AVERAGE the model

    def as_json_dict(self) -> dict[str, Any]:
        return {
            "p": self.p,
            "q": self.q,
            "v": self.v,
            "loglik": self.loglik,
            "converged": self.converged,
            "kind": self.kind.value,
            "mean_spend": self.mean_spend,
            "at_bound": list(self.at_bound),
            "why_average": self.why_average,
        }

    @classmethod
    def from_json_dict(cls, data: dict[str, Any]) -> GammaGammaParams:
        return cls(
            p=float(data["p"]),
            q=float(data["q"]),
            v=float(data["v"]),
            loglik=float(data.get("loglik", float("nan"))),
            converged=bool(data.get("converged", True)),
            kind=SpendModel(data.get("kind", SpendModel.GAMMA_GAMMA.value)),
            mean_spend=float(data.get("mean_spend", 0.0)),
            at_bound=tuple(data.get("at_bound", ())),
            why_average=str(data.get("why_average", "")),
        )


class FitNote(StrEnum):
    """What a manager should know about a fit. The first five are the theory's own
    answers to thin or uniform data; the others mean the numbers should not be acted on."""

    NO_DROPOUT = "no_dropout"
    DROPOUT_ALIKE = "dropout_alike"
    DROPOUT_SPLIT = "dropout_split"
    FEW_REPEAT_BUYERS = "few_repeat_buyers"
    SPEND_ALIKE = "spend_alike"
    SPEND_HEAVY_TAILED = "spend_heavy_tailed"
    NOT_CONVERGED = "not_converged"
    AT_BOUND = "at_bound"
    HOLDOUT_OFF = "holdout_off"


UNRELIABLE_NOTES = frozenset(
    {FitNote.SPEND_HEAVY_TAILED, FitNote.NOT_CONVERGED, FitNote.AT_BOUND, FitNote.HOLDOUT_OFF}
)


@dataclass(frozen=True, slots=True)
class FitQuality:
    notes: tuple[FitNote, ...] = ()
    holdout_days: int | None = None
    holdout_predicted: float | None = None
    holdout_actual: int | None = None

    @property
    def reliable(self) -> bool:
        return not UNRELIABLE_NOTES.intersection(self.notes)

    @property
    def holdout_error(self) -> float | None:
        """(predicted − actual) / actual repeat purchases over the holdout days."""
        if self.holdout_predicted is None or not self.holdout_actual:
            return None
        return (self.holdout_predicted - self.holdout_actual) / self.holdout_actual

    def as_json_dict(self) -> dict[str, Any]:
        return {
            "notes": [n.value for n in self.notes],
            "reliable": self.reliable,
            "holdout_days": self.holdout_days,
            "holdout_predicted": self.holdout_predicted,
            "holdout_actual": self.holdout_actual,
        }

    @classmethod
    def from_json_dict(cls, data: dict[str, Any]) -> FitQuality:
        return cls(
            notes=tuple(FitNote(n) for n in data.get("notes", ())),
            holdout_days=data.get("holdout_days"),
            holdout_predicted=data.get("holdout_predicted"),
            holdout_actual=data.get("holdout_actual"),
        )


@dataclass(frozen=True, slots=True)
class FittedModels:
    """Both models plus the time unit they were fitted in (days per unit)."""

    bgnbd: BgNbdParams
    gamma_gamma: GammaGammaParams
    unit_days: float
    as_of: date
    quality: FitQuality = FitQuality()

    def as_json_dict(self) -> dict[str, Any]:
        return {
            "bgnbd": self.bgnbd.as_json_dict(),
            "gamma_gamma": self.gamma_gamma.as_json_dict(),
            "unit_days": self.unit_days,
            "as_of": self.as_of.isoformat(),
            "quality": self.quality.as_json_dict(),
        }

    @classmethod
    def from_json_dict(cls, data: dict[str, Any]) -> FittedModels:
        return cls(
            bgnbd=BgNbdParams.from_json_dict(data["bgnbd"]),
            gamma_gamma=GammaGammaParams.from_json_dict(data["gamma_gamma"]),
            unit_days=float(data["unit_days"]),
            as_of=date.fromisoformat(data["as_of"]),
            quality=FitQuality.from_json_dict(data.get("quality", {})),
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
    at: int = 0  # where in `text` the quote the rule cites begins


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
    models: FittedModels | None = None  # what the card must say about the fit's quality
    source: str | None = None  # scores published from a warehouse: its transactions are there

    def as_json_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["as_of"] = self.as_of.isoformat()
        return data
