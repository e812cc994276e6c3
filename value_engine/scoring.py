"""Fit both models on a customer summary and score every customer in one vectorized pass."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
from numpy.typing import ArrayLike, NDArray

from value_engine import measures
from value_engine.clv import Predictions, predict_all
from value_engine.holdout import HoldoutCheck
from value_engine.model_choice import assess, fit_purchase_model, fit_spend_model
from value_engine.models import (
    BgNbdParams,
    CustomerScore,
    FitQuality,
    FittedModels,
    GammaGammaParams,
    ModelError,
    RfmSegment,
    Risk,
    Tier,
    Trend,
)
from value_engine.summary import CustomerSummary

DAYS_PER_MONTH = 365.25 / 12


@dataclass(frozen=True, slots=True)
class ScoringPolicy:
    """The manager-facing knobs; defaults are documented in the README."""

    horizon_months: int = 12
    monthly_discount_rate: float = 0.01
    referral_share: float = 0.10  # share of a referred customer's value credited to the referrer


def fit_models(
    summary: CustomerSummary, unit_days: float, as_of: date, check: HoldoutCheck | None = None
) -> FittedModels:
    """Both models, chosen by what the data support; `check` is the holdout test of
    the same method (see `holdout.backtest`) and goes into the fit's quality."""
    buyers = summary.has_purchase
    x = summary.frequency[buyers]
    bgnbd = fit_purchase_model(x, summary.recency[buyers], summary.age[buyers])
    occasions = float(summary.purchases[buyers].sum())
    spend = fit_spend_model(
        x,
        summary.monetary[buyers],
        fallback_mean=float(summary.revenue[buyers].sum()) / occasions if occasions else 0.0,
    )
    return FittedModels(
        bgnbd=bgnbd,
        gamma_gamma=spend,
        unit_days=unit_days,
        as_of=as_of,
        quality=with_check(bgnbd, spend, check),
    )


def _require_finite(columns: dict[str, NDArray[np.float64]], customer_ids: Sequence[str]) -> None:
    for name, column in columns.items():
        if not np.all(np.isfinite(column)):
            bad = int(np.flatnonzero(~np.isfinite(column))[0])
            raise ModelError(f"{name} is not finite for customer {customer_ids[bad]}")


def check_horizon(horizon_steps: int, discount_rate: float) -> None:
    """A negative horizon or a discount rate of 100% or more gives no meaningful CLV."""
    if horizon_steps < 0:
        raise ValueError("--horizon must not be negative")
    if not 0 <= discount_rate < 1:
        raise ValueError("--discount-rate must be a rate per period, from 0 to below 1")


@dataclass(frozen=True, slots=True)
class SummaryScores:
    bgnbd: BgNbdParams
    spend: GammaGammaParams
    quality: FitQuality
    predictions: Predictions


def fit_and_predict(
    customer_ids: Sequence[str],
    frequency: ArrayLike,
    recency: ArrayLike,
    age: ArrayLike,
    monetary: ArrayLike,
    horizon_steps: int,
    discount_rate: float,
) -> SummaryScores:
    """Fit and predict on a bare summary (time in one unit, the horizon in steps of it).

    Raises ValueError for input the models cannot take and ModelError rather than
    return a number that is not finite.
    """
    check_horizon(horizon_steps, discount_rate)
    x = np.asarray(frequency, dtype=np.float64)
    # Overflow on absurd input ends as a non-finite number, refused below with a message.
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        bgnbd = fit_purchase_model(x, recency, age)
        spend = fit_spend_model(x, monetary)
    predicted = predict_summary(
        bgnbd, spend, customer_ids, x, recency, age, monetary, horizon_steps, discount_rate
    )
    return SummaryScores(bgnbd, spend, assess(bgnbd, spend), predicted)


def predict_summary(
    bgnbd: BgNbdParams,
    spend: GammaGammaParams,
    customer_ids: Sequence[str],
    frequency: ArrayLike,
    recency: ArrayLike,
    age: ArrayLike,
    monetary: ArrayLike,
    horizon_steps: int,
    discount_rate: float,
) -> Predictions:
    """Every customer's predictions from fitted models: a pure function of the models and
    the batch, so an engine can run it on any partition of its customers. ModelError,
    naming the customer, rather than a number that is not finite."""
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        predicted = predict_all(
            bgnbd, spend, frequency, recency, age, monetary, horizon_steps, horizon_steps,
            discount_rate,
        )  # fmt: skip
    _require_finite(
        {
            "expected purchases": predicted.expected_purchases,
            "P(alive)": predicted.p_alive,
            "expected spend": predicted.expected_spend,
            "CLV": predicted.clv,
        },
        customer_ids,
    )
    return predicted


def with_check(
    bgnbd: BgNbdParams, spend: GammaGammaParams, check: HoldoutCheck | None
) -> FitQuality:
    if check is None:
        return assess(bgnbd, spend)
    return assess(bgnbd, spend, check.days, check.predicted, check.actual)


@dataclass(frozen=True, slots=True)
class ScoreTable:
    """Every customer's measures as columns, in the summary's customer order."""

    customer_ids: list[str]
    expected_purchases: NDArray[np.float64]
    p_alive: NDArray[np.float64]
    expected_spend: NDArray[np.float64]
    clv: NDArray[np.float64]  # revenue CLV, as the models give it
    realized: NDArray[np.float64]
    potential: NDArray[np.float64]  # profit CLV: what the customer is still worth if retained
    influence: NDArray[np.float64]
    margin_rate: NDArray[np.float64]
    referrals: NDArray[np.int64]
    r_score: NDArray[np.int64]
    f_score: NDArray[np.int64]
    m_score: NDArray[np.int64]
    tier: NDArray[np.str_]
    summary: CustomerSummary

    def row(self, i: int, as_of_day: int) -> CustomerScore:
        s = self.summary
        frequency = float(s.frequency[i])
        days_as_customer = as_of_day - int(s.first_day[i]) if s.has_purchase[i] else 0
        r, f, m = int(self.r_score[i]), int(self.f_score[i]), int(self.m_score[i])
        return CustomerScore(
            customer_id=self.customer_ids[i],
            frequency=int(frequency),
            recency=float(s.recency[i]),
            age=float(s.age[i]),
            monetary=float(s.monetary[i]),
            expected_purchases=float(self.expected_purchases[i]),
            p_alive=float(self.p_alive[i]),
            expected_spend=float(self.expected_spend[i]),
            clv=float(self.clv[i]),
            realized_value=float(self.realized[i]),
            potential_value=float(self.potential[i]),
            influence_value=float(self.influence[i]),
            revenue=float(s.revenue[i]),
            margin_rate=float(self.margin_rate[i]),
            r_score=r,
            f_score=f,
            m_score=m,
            segment=measures.rfm_segment(r, f, m) if s.has_purchase[i] else RfmSegment.NEW,
            tier=Tier(str(self.tier[i])),
            risk=measures.churn_risk(float(self.p_alive[i]), frequency)
            if s.has_purchase[i]
            else Risk.MEDIUM,
            trend=measures.value_trend(
                float(s.profit_last_period[i]),
                float(s.profit_previous_period[i]),
                days_as_customer,
            )
            if s.has_purchase[i]
            else Trend.NEW,
            trend_change=float(s.profit_last_period[i] - s.profit_previous_period[i]),
            referrals=int(self.referrals[i]),
        )


def referral_credit(
    realized: NDArray[np.float64], potential: NDArray[np.float64], policy: ScoringPolicy
) -> NDArray[np.float64]:
    """What a referred customer adds to their referrer's influence value: a share of their
    own value (profit so far, losses counted as none, and what they are still worth)."""
    credit: NDArray[np.float64] = (np.clip(realized, 0, None) + potential) * policy.referral_share
    return credit


@dataclass(frozen=True, slots=True)
class PopulationRanks:
    """The measures that rank a customer among all customers (RFM quintiles, Pareto
    tier): computed by the engine that holds everyone when `score_customers` sees only a
    batch (`value_engine.sources.served_sql`)."""

    r_score: NDArray[np.int64]
    f_score: NDArray[np.int64]
    m_score: NDArray[np.int64]
    tier: NDArray[np.str_]


def score_customers(
    customer_ids: list[str],
    summary: CustomerSummary,
    models: FittedModels,
    referred_by: NDArray[np.int64],
    policy: ScoringPolicy,
    ranks: PopulationRanks | None = None,
) -> ScoreTable:
    """Score everyone; `referred_by[i]` is the position of i's referrer or -1. Without
    `ranks` the customers given are the whole population the quintiles rank within."""
    x, t_x, big_t = summary.frequency, summary.recency, summary.age
    unit_months = DAYS_PER_MONTH / models.unit_days
    horizon_units = policy.horizon_months * unit_months
    buyers = summary.has_purchase

    with np.errstate(invalid="ignore", divide="ignore"):
        margin = np.where(summary.revenue > 0, summary.profit / summary.revenue, 0.0)
    margin = np.clip(margin, 0.0, 1.0)
    with np.errstate(over="ignore", invalid="ignore"):  # non-finite results are refused below
        predicted = predict_all(
            models.bgnbd,
            models.gamma_gamma,
            x,
            t_x,
            big_t,
            summary.monetary,
            purchase_horizon=horizon_units,
            horizon_steps=policy.horizon_months,
            discount_rate=policy.monthly_discount_rate,
            step=unit_months,
        )
    purchases = np.where(buyers, predicted.expected_purchases, 0.0)
    p_alive = np.where(buyers, predicted.p_alive, 0.0)
    spend = np.where(buyers, predicted.expected_spend, 0.0)
    clv = np.where(buyers, predicted.clv, 0.0)
    potential = clv * margin
    realized = summary.profit

    credit = referral_credit(realized, potential, policy)
    has_referrer = referred_by >= 0
    influence = np.bincount(
        referred_by[has_referrer], weights=credit[has_referrer], minlength=len(customer_ids)
    ).astype(np.float64)
    referrals = np.bincount(referred_by[has_referrer], minlength=len(customer_ids)).astype(np.int64)
    if ranks is None:
        r, f, m = measures.rfm_scores(
            summary.days_since_last, summary.purchases.astype(float), summary.revenue
        )
        tier = measures.pareto_tiers(realized)
    else:
        r, f, m, tier = ranks.r_score, ranks.f_score, ranks.m_score, ranks.tier
    _require_finite(
        {
            "expected purchases": purchases,
            "P(alive)": p_alive,
            "expected spend": spend,
            "CLV": clv,
            "potential value": potential,
            "influence value": influence,
            "realized value": realized,
        },
        customer_ids,
    )
    return ScoreTable(
        customer_ids=customer_ids,
        expected_purchases=purchases,
        p_alive=p_alive,
        expected_spend=spend,
        clv=clv,
        realized=realized,
        potential=potential,
        influence=influence,
        margin_rate=margin,
        referrals=referrals,
        r_score=r,
        f_score=f,
        m_score=m,
        tier=tier,
        summary=summary,
    )
