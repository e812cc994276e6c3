"""Typed results of the survey analyses, shared by the engine, the bot and the CLI."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from value_engine.survey.guardrails import ALPHA, MIN_RESPONDENTS, kano_doubtful


class Instrument(StrEnum):
    DELIVERED = "delivered-value"
    KANO = "kano"
    EQUITY = "equity"


class SurveyError(ValueError):
    """The survey cannot be analysed as asked (too few answers, no variation...)."""

    def __init__(self, code: str, **values: object) -> None:
        super().__init__(code)
        self.code = code  # texts are looked up by code, in the reader's language
        self.values = values


@dataclass(frozen=True, slots=True)
class Scale:
    """A rating scale 1..high (the articles' ratings; 5, 7 or 10 points in practice)."""

    high: int = 5
    low: int = 1

    def normalized(self, value: float) -> float:
        """0 at the bottom of the scale, 1 at the top."""
        return (value - self.low) / (self.high - self.low)


# --- delivered value -----------------------------------------------------------------------
# The components named in the articles (000: product, service, personnel and image value;
# monetary, time and energy cost; 001 adds the usage cost of Cc = f(p, w, t, l)).
VALUE_COMPONENTS = ("product", "service", "personnel", "image")
COST_COMPONENTS = ("monetary", "usage", "time", "energy")


@dataclass(frozen=True, slots=True)
class ComponentScore:
    component: str
    kind: str  # "value" or "cost"
    mean: float  # on the survey's scale; for costs, higher means the customer pays more
    weight: float  # mean importance weight (1 when the file has none)
    competitor: float | None = None  # the same rating given to the named competitor


@dataclass(frozen=True, slots=True)
class DeliveredSummary:
    """A segment's (or everyone's) delivered value: Vc = Rc - Cc, as in article 001."""

    segment: str | None  # None: all respondents
    n: int
    total_value: float  # Rc: importance-weighted mean of the value ratings
    total_cost: float  # Cc: importance-weighted mean of the cost ratings
    delivered: float  # Vc = Rc - Cc, in scale points
    ratio: float  # Rc / Cc
    weakest: str  # the component with the largest weighted shortfall
    components: list[ComponentScore]
    competitor: str | None = None
    relative_value: float | None = None  # Rc(us) / Rc(competitor), Gale's value map y
    relative_cost: float | None = None  # Cc(us) / Cc(competitor), Gale's value map x
    share_negative: float = 0.0  # share of respondents whose own Vc < 0
    delivered_low: float = float("nan")  # bootstrap 95% interval of Vc
    delivered_high: float = float("nan")
    weakest_tied: list[str] = field(default_factory=list)  # every component tied for weakest
    weakest_clear: bool = False  # weaker than the runner-up beyond chance (95% interval)
    runner_up: str | None = None  # the next weakest component
    needed: int = 0  # respondents needed before the weakest component is advised on
    map_clear: bool = False  # the value map's verdict holds beyond chance (95% interval)

    @property
    def map_position(self) -> str | None:
        """Where the value map puts us against the fair-value line (relative value =
        relative cost): "better", "fair" or "worse" value than the competitor."""
        if self.relative_value is None or self.relative_cost is None:
            return None
        balance = self.relative_value / self.relative_cost
        return "better" if balance > 1.05 else "worse" if balance < 0.95 else "fair"

    @property
    def sufficient(self) -> bool:
        return self.n >= MIN_RESPONDENTS


@dataclass(frozen=True, slots=True)
class RespondentValue:
    respondent_id: str
    customer_id: str | None
    segment: str | None
    total_value: float
    total_cost: float
    delivered: float
    ratio: float
    weakest: str


@dataclass(frozen=True, slots=True)
class QuintileRow:
    quintile: int  # 1 = lowest delivered value
    n: int
    delivered: float
    p_alive: float
    clv: float
    at_risk: float  # share of customers the purchase model rates at high churn risk


@dataclass(frozen=True, slots=True)
class RetentionLink:
    """Does perceived value predict retention in this company's own data?"""

    n: int
    rho_p_alive: float | None  # Spearman rank correlation; None when not computable
    p_value_p_alive: float | None
    rho_clv: float | None
    p_value_clv: float | None
    quintiles: list[QuintileRow]


@dataclass(frozen=True, slots=True)
class DeliveredReport:
    scale: Scale
    overall: DeliveredSummary
    segments: list[DeliveredSummary]
    respondents: list[RespondentValue]
    link: RetentionLink | None = None


# --- Kano --------------------------------------------------------------------------------
class KanoCategory(StrEnum):
    ATTRACTIVE = "A"
    ONE_DIMENSIONAL = "O"
    MUST_BE = "M"
    INDIFFERENT = "I"
    REVERSE = "R"
    QUESTIONABLE = "Q"


# Article 001's three levels of needs: Q1 basic (must-be), Q2 performance
# (one-dimensional), Q3 attractive.
KANO_LEVELS = {
    KanoCategory.MUST_BE: "Q1",
    KanoCategory.ONE_DIMENSIONAL: "Q2",
    KanoCategory.ATTRACTIVE: "Q3",
}


@dataclass(frozen=True, slots=True)
class KanoFeature:
    feature: str
    category: KanoCategory
    counts: dict[str, int]
    better: float  # (A+O)/(A+O+M+I): how much providing it raises satisfaction
    worse: float  # -(O+M)/(A+O+M+I): how much leaving it out lowers satisfaction
    runner_up: str | None = None  # the second most frequent category
    strength: float = 0.0  # category strength: top share minus runner-up share
    total_strength: float = 0.0  # (A+O+M)/all answers: how much the feature matters at all
    significant: bool = False  # enough answers and the top category wins Fong's test
    needed: int = 0  # answers needed before its category is advised on (0: enough)
    doubtful: bool = False  # many reverse or questionable answers
    better_low: float = float("nan")  # bootstrap 95% intervals
    better_high: float = float("nan")
    worse_low: float = float("nan")
    worse_high: float = float("nan")

    @property
    def level(self) -> str | None:
        return KANO_LEVELS.get(self.category)

    @property
    def mixed(self) -> bool:
        """The top category does not win Fong's test over the runner-up."""
        return not self.significant and self.runner_up is not None and self.n > 0

    @property
    def n(self) -> int:
        return sum(self.counts.values())

    def as_json_dict(self) -> dict[str, object]:
        return {
            "feature": self.feature,
            "category": self.category.value,
            "counts": dict(self.counts),
            "better": self.better,
            "worse": self.worse,
            "level": self.level,
        }


@dataclass(frozen=True, slots=True)
class KanoReport:
    features: list[KanoFeature]
    respondents: int
    reverse_share: float = 0.0  # of all answers
    questionable_share: float = 0.0

    @property
    def doubtful(self) -> bool:
        """So many reverse or questionable answers that the questions may have been
        misunderstood (or answered at random)."""
        return kano_doubtful(self.reverse_share, self.questionable_share)


# --- customer-equity drivers ---------------------------------------------------------------
EQUITY_GROUPS = ("value", "brand", "retention")  # article 004's three parts of customer equity


class Priority(StrEnum):
    FIX_FIRST = "fix_first"  # important, performing below the other drivers
    KEEP_UP = "keep_up"  # important and performing well
    LOW_PRIORITY = "low_priority"  # less important, performing below the others
    OVERKILL = "possible_overkill"  # less important, performing well
    HURTS = "hurts"  # a significant negative effect: more of it goes with a lower outcome
    UNCLEAR = "unclear"  # no effect beyond chance, or too few answers to tell


class Effect(StrEnum):
    """A driver's direction: the sign of its standardized coefficient, if significant."""

    HELPS = "helps"
    HURTS = "hurts"
    UNCLEAR = "unclear"


@dataclass(frozen=True, slots=True)
class DriverWeight:
    driver: str
    group: str
    weight: float  # its part of R² (the weights add up to R²)
    share: float  # weight / R²
    performance: float  # mean rating on the survey's scale
    priority: Priority
    beta: float = 0.0  # standardized coefficient in the full model (direction)
    p_value: float = 1.0  # its t-test, Holm-adjusted over the drivers
    effect: Effect = Effect.UNCLEAR
    weight_low: float = float("nan")  # bootstrap 95% intervals
    weight_high: float = float("nan")
    share_low: float = float("nan")
    share_high: float = float("nan")

    def as_json_dict(self) -> dict[str, object]:
        return {
            "driver": self.driver,
            "group": self.group,
            "weight": self.weight,
            "share": self.share,
            "performance": self.performance,
        }


@dataclass(frozen=True, slots=True)
class EquityReport:
    r2: float
    n: int
    drivers: list[DriverWeight]  # heaviest first
    method: str  # "shapley" (exact) or "relative_weights" (Johnson 2000)
    outcome: str  # "intention" or "clv"
    scale: Scale
    constant: list[str] = field(default_factory=list)  # drivers everyone rated the same
    adj_r2: float = 0.0
    f_p_value: float = 1.0  # the model's F-test
    needed: int = 0  # respondents the rule asks for (guardrails.regression_needed)
    needed_for_f: int | None = None  # respondents at which the F-test would pass, if ever
    group_lead: str | None = None  # the group that weighs significantly more than the others
    resamples: int = 0
    interval_method: str = ""  # the decomposition behind the intervals

    @property
    def sufficient(self) -> bool:
        return self.n >= self.needed

    @property
    def significant(self) -> bool:
        """Enough answers and the drivers explain the outcome beyond chance."""
        return self.sufficient and self.f_p_value < ALPHA

    @property
    def hurting(self) -> list[DriverWeight]:
        return [d for d in self.drivers if d.priority is Priority.HURTS]

    @property
    def group_shares(self) -> dict[str, float]:
        """Each group's share of R², for the groups the survey asked about (a group with
        no driver is not "0%": nobody was asked), in EQUITY_GROUPS order."""
        asked = {d.group for d in self.drivers}
        shares = {g: 0.0 for g in (*EQUITY_GROUPS, *sorted(asked)) if g in asked}
        for d in self.drivers:
            shares[d.group] += d.share
        return shares

    @property
    def fix_first(self) -> list[DriverWeight]:
        return [d for d in self.drivers if d.priority is Priority.FIX_FIRST]

    def as_json_dict(self) -> dict[str, object]:
        return {
            "r2": self.r2,
            "n": self.n,
            "drivers": [d.as_json_dict() for d in self.drivers],
        }
