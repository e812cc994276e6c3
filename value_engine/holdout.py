"""Calibration/holdout check: what the model expected after a cut-off against what happened.

The classic validation of Fader, Hardie & Lee (2005): fit on purchases up to a
cut-off date, predict repeat purchases over the days after it, and compare with
the purchases that followed, overall and by the number of repeat purchases in
the calibration period.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from value_engine.bgnbd import expected_purchases
from value_engine.model_choice import fit_purchase_model
from value_engine.models import BgNbdParams
from value_engine.summary import CustomerSummary, TransactionLog, summarize

FloatArray = NDArray[np.float64]

BUCKETS = 7  # 0, 1, ..., 6 and "7+" repeat purchases in the calibration period


@dataclass(frozen=True, slots=True)
class HoldoutCheck:
    days: int
    customers: int
    predicted: float
    actual: int
    mean_absolute_error: float
    by_frequency: list[
        tuple[str, int, float, float]
    ]  # (bucket, customers, predicted, actual) means

    def as_json_dict(self) -> dict[str, object]:
        return {
            "days": self.days,
            "customers": self.customers,
            "predicted": round(self.predicted, 2),
            "actual": self.actual,
            "mean_absolute_error": round(self.mean_absolute_error, 4),
            "by_frequency": [
                {
                    "frequency": b,
                    "customers": n,
                    "predicted_mean": round(p, 4),
                    "actual_mean": round(a, 4),
                }
                for b, n, p, a in self.by_frequency
            ],
        }


def holdout_check(
    params: BgNbdParams,
    summary: CustomerSummary,
    log: TransactionLog,
    calibration_end_day: int,
    holdout_end_day: int,
    unit_days: float,
) -> HoldoutCheck | None:
    """None when there is no holdout period (the cut-off is at or after the last day)."""
    days = holdout_end_day - calibration_end_day
    if days <= 0:
        return None
    known = summary.has_purchase
    after = (log.day > calibration_end_day) & (log.day <= holdout_end_day) & (log.amount > 0)
    occasions = np.unique(log.customer[after] * np.int64(1_000_000) + log.day[after])
    actual = np.bincount(occasions // 1_000_000, minlength=known.size)[known].astype(np.float64)
    x, t_x, big_t = summary.frequency[known], summary.recency[known], summary.age[known]
    return grouped_check(params, days, unit_days, x, t_x, big_t, actual, np.ones(x.size))


def grouped_check(
    params: BgNbdParams,
    days: int,
    unit_days: float,
    frequency: FloatArray,
    recency: FloatArray,
    age: FloatArray,
    actual: FloatArray,
    customers: FloatArray,
) -> HoldoutCheck:
    """The check from rows of customers who share the calibration summary (x, t_x, T)
    and the number of holdout purchases, `customers` of each: what an engine's GROUP BY
    returns (`sources.summary_sql.HOLDOUT_GROUPS_SQL`); one row per customer in process."""
    x = np.asarray(frequency, dtype=np.float64)
    count = np.asarray(customers, dtype=np.float64)
    bought = np.asarray(actual, dtype=np.float64)
    predicted = expected_purchases(params, days / unit_days, x, recency, age)
    bucket = np.minimum(x, BUCKETS).astype(np.int64)
    rows = []
    for k in range(BUCKETS + 1):
        mask = bucket == k
        if mask.any():
            label = f"{k}+" if k == BUCKETS else str(k)
            n = float(count[mask].sum())
            rows.append(
                (
                    label,
                    round(n),
                    float(count[mask] @ predicted[mask]) / n,
                    float(count[mask] @ bought[mask]) / n,
                )
            )
    total = float(count.sum())
    return HoldoutCheck(
        days=days,
        customers=round(total),
        predicted=float(count @ predicted),
        actual=round(float(count @ bought)),
        mean_absolute_error=float(count @ np.abs(predicted - bought)) / total,
        by_frequency=rows,
    )


MIN_DAYS_OBSERVED = 16 * 7  # below this there is too little history to hold any back


def holdout_days_for(days_observed: int) -> int | None:
    """A quarter of the history, in whole weeks from 4 to 26; None for a short history."""
    if days_observed < MIN_DAYS_OBSERVED:
        return None
    weeks = min(26, max(4, days_observed // 4 // 7))
    return weeks * 7


def backtest(
    log: TransactionLog, customers: int, as_of_day: int, unit_days: float
) -> HoldoutCheck | None:
    """Fit the purchase model as `fit_models` would, on all but the last quarter of the
    history, and compare its predictions for that quarter with what happened.

    Every fit reports this, so a model that fits the past but does not predict is
    caught without anyone having to ask for a calibration run.
    """
    bought = log.amount > 0
    if not bought.any():
        return None
    days = holdout_days_for(as_of_day - int(log.day[bought].min()))
    if days is None:
        return None
    cut = as_of_day - days
    summary = summarize(log, customers, cut, unit_days)
    known = summary.has_purchase
    if not (summary.frequency[known] > 0).any():
        return None
    x, t_x, big_t = summary.frequency[known], summary.recency[known], summary.age[known]
    params = fit_purchase_model(x, t_x, big_t)
    return holdout_check(params, summary, log, cut, as_of_day, unit_days)
