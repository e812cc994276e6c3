"""The theory's own measures: RFM quintiles and segments, Pareto tiers, churn risk, trend.

Each rule is a small table or a named threshold so a manager can read exactly
why a customer landed where they did.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from value_engine.models import RfmSegment, Risk, Tier, Trend

S = RfmSegment
# Rows: recency score 5 (most recent) down to 1; columns: FM score 1 to 5.
SEGMENT_GRID: dict[int, tuple[RfmSegment, RfmSegment, RfmSegment, RfmSegment, RfmSegment]] = {
    5: (S.NEW, S.POTENTIAL_LOYALIST, S.POTENTIAL_LOYALIST, S.CHAMPIONS, S.CHAMPIONS),
    4: (S.PROMISING, S.POTENTIAL_LOYALIST, S.POTENTIAL_LOYALIST, S.LOYAL, S.CHAMPIONS),
    3: (S.HIBERNATING, S.NEEDS_ATTENTION, S.NEEDS_ATTENTION, S.LOYAL, S.LOYAL),
    2: (S.HIBERNATING, S.HIBERNATING, S.AT_RISK, S.AT_RISK, S.CANNOT_LOSE),
    1: (S.LOST, S.LOST, S.AT_RISK, S.AT_RISK, S.CANNOT_LOSE),
}

PARETO_A = 0.80  # tier A: the customers who together make the first 80% of profit
PARETO_B = 0.95  # tier B: the next 15%
RISK_HIGH_BELOW = 0.30  # P(alive) below this: high churn risk
RISK_MEDIUM_BELOW = 0.70
TREND_BAND = 0.10  # profit within ±10% of the previous period: flat
NEW_CUSTOMER_DAYS = 182  # first purchase within about six months: new


def quintile_scores(
    values: NDArray[np.float64], higher_is_better: bool = True
) -> NDArray[np.int64]:
    """1–5 by quintile of rank; ties share a score (average rank), so equal values never split."""
    if values.size == 0:
        return np.zeros(0, dtype=np.int64)
    from scipy import stats  # here, not at import: the summary CLI never ranks (0.4 s saved)

    ranks = stats.rankdata(values if higher_is_better else -values, method="average")
    pct = (ranks - 0.5) / values.size
    scores: NDArray[np.int64] = np.clip(np.floor(pct * 5).astype(np.int64) + 1, 1, 5)
    return scores


def rfm_scores(
    days_since_last: NDArray[np.float64],
    purchases: NDArray[np.float64],
    revenue: NDArray[np.float64],
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    recency = quintile_scores(np.nan_to_num(days_since_last, posinf=1e12), higher_is_better=False)
    return recency, quintile_scores(purchases), quintile_scores(revenue)


def rfm_segment(r_score: int, f_score: int, m_score: int) -> RfmSegment:
    fm = round((f_score + m_score) / 2 + 1e-9)
    return SEGMENT_GRID[r_score][fm - 1]


def rfm_segments(
    r_score: NDArray[np.int64],
    f_score: NDArray[np.int64],
    m_score: NDArray[np.int64],
    has_purchase: NDArray[np.bool_],
) -> NDArray[np.str_]:
    """`rfm_segment` for whole columns (customers who never bought are new)."""
    grid = np.array([[s.value for s in SEGMENT_GRID[r]] for r in range(1, 6)])
    fm = (np.asarray(f_score) + np.asarray(m_score) + 1) // 2  # round((f + m) / 2), .5 up
    labels: NDArray[np.str_] = grid[np.asarray(r_score) - 1, fm - 1]
    return np.where(has_purchase, labels, S.NEW.value)


def pareto_tiers(profit: NDArray[np.float64]) -> NDArray[np.str_]:
    """A/B/C by cumulative share of positive profit, largest first."""
    tiers = np.full(profit.size, Tier.C.value, dtype="<U1")
    positive = np.clip(profit, 0, None)
    total = positive.sum()
    if total <= 0:
        return tiers
    order = np.argsort(-positive, kind="stable")
    before = (np.cumsum(positive[order]) - positive[order]) / total  # share before this customer
    ranked = np.where(
        before < PARETO_A, Tier.A.value, np.where(before < PARETO_B, Tier.B.value, Tier.C.value)
    )
    ranked = np.where(positive[order] > 0, ranked, Tier.C.value)
    tiers[order] = ranked
    return tiers


def churn_risk(p_alive: float, frequency: float) -> Risk:
    """From P(alive); one-time buyers are 'medium' because BG/NBD cannot see their dropout."""
    if frequency == 0:
        return Risk.MEDIUM
    if p_alive < RISK_HIGH_BELOW:
        return Risk.HIGH
    if p_alive < RISK_MEDIUM_BELOW:
        return Risk.MEDIUM
    return Risk.LOW


def value_trend(last: float, previous: float, days_as_customer: float) -> Trend:
    if days_as_customer < NEW_CUSTOMER_DAYS:
        return Trend.NEW
    band = TREND_BAND * max(abs(previous), 1e-9)
    if last > previous + band:
        return Trend.UP
    if last < previous - band:
        return Trend.DOWN
    return Trend.FLAT
