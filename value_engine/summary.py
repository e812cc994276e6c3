"""Turn a transaction log into the per-customer summary the models are fitted on.

Purchases on the same day count once (the usual convention for BG/NBD, which
models purchase occasions, not line items); returns (negative amounts) lower
revenue and profit but are never purchase occasions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]
QUARTER_DAYS = 91


def _sums(groups: IntArray, weights: FloatArray, minlength: int = 0) -> FloatArray:
    """Per-group sums (np.bincount with weights, typed as the floats it returns)."""
    return np.bincount(groups, weights=weights, minlength=minlength).astype(np.float64)


@dataclass(frozen=True, slots=True)
class TransactionLog:
    """Transactions as columns: customer position, day number, amount, profit."""

    customer: IntArray  # index into the customer list
    day: IntArray  # days since 1970-01-01
    amount: FloatArray
    profit: FloatArray
    profit_assumed: NDArray[np.bool_]  # True where no margin or cost was given


@dataclass(frozen=True, slots=True)
class CustomerSummary:
    """One row per customer (same order as the customer list); time in model units."""

    frequency: FloatArray  # repeat purchase occasions
    recency: FloatArray  # first to last purchase
    age: FloatArray  # first purchase to the end of observation (T)
    monetary: FloatArray  # mean value of repeat purchase occasions
    purchases: IntArray  # all purchase occasions, first included
    days_since_last: FloatArray
    revenue: FloatArray
    profit: FloatArray
    profit_last_period: FloatArray
    profit_previous_period: FloatArray
    first_day: IntArray  # -1: never bought
    has_purchase: NDArray[np.bool_]
    profit_assumed: bool


def summarize(
    log: TransactionLog, customers: int, as_of_day: int, unit_days: float = 7.0
) -> CustomerSummary:
    """Per-customer summary as of the end of `as_of_day` (later transactions are ignored)."""
    keep = log.day <= as_of_day
    cust, day, amount, profit = (
        log.customer[keep],
        log.day[keep],
        log.amount[keep],
        log.profit[keep],
    )

    revenue = _sums(cust, weights=amount, minlength=customers)
    profit_total = _sums(cust, weights=profit, minlength=customers)
    last_start = as_of_day - QUARTER_DAYS
    prev_start = as_of_day - 2 * QUARTER_DAYS
    in_last = day > last_start
    in_prev = (day > prev_start) & ~in_last
    profit_last = _sums(cust[in_last], weights=profit[in_last], minlength=customers)
    profit_prev = _sums(cust[in_prev], weights=profit[in_prev], minlength=customers)

    # Purchase occasions: positive spend per (customer, day).
    buys = amount > 0
    key = cust[buys].astype(np.int64) * 1_000_000 + (day[buys] - day[buys].min(initial=0))
    occasion_key, occasion_index = np.unique(key, return_inverse=True)
    occasion_value = _sums(occasion_index.ravel(), weights=amount[buys])
    occasion_cust = occasion_key // 1_000_000
    occasion_day = occasion_key % 1_000_000 + day[buys].min(initial=0)

    purchases = np.bincount(occasion_cust, minlength=customers).astype(np.int64)
    has_purchase = purchases > 0
    first_day = np.full(customers, -1, dtype=np.int64)
    last_day = np.full(customers, -1, dtype=np.int64)
    # Occasions are sorted by (customer, day), so the first/last per customer are run edges.
    if occasion_cust.size:
        starts = np.flatnonzero(np.r_[True, occasion_cust[1:] != occasion_cust[:-1]])
        ends = np.r_[starts[1:] - 1, occasion_cust.size - 1]
        first_day[occasion_cust[starts]] = occasion_day[starts]
        last_day[occasion_cust[ends]] = occasion_day[ends]
        first_value = np.zeros(customers)
        first_value[occasion_cust[starts]] = occasion_value[starts]
        total_value = _sums(occasion_cust, weights=occasion_value, minlength=customers)
    else:
        first_value = np.zeros(customers)
        total_value = np.zeros(customers)

    frequency = np.maximum(purchases - 1, 0).astype(np.float64)
    recency = np.where(has_purchase, (last_day - first_day) / unit_days, 0.0)
    age = np.where(has_purchase, (as_of_day - first_day) / unit_days, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        monetary = np.where(frequency > 0, (total_value - first_value) / frequency, 0.0)
    days_since_last = np.where(has_purchase, as_of_day - last_day, np.inf).astype(np.float64)
    return CustomerSummary(
        frequency=frequency,
        recency=recency,
        age=age,
        monetary=monetary,
        purchases=purchases,
        days_since_last=days_since_last,
        revenue=revenue,
        profit=profit_total,
        profit_last_period=profit_last,
        profit_previous_period=profit_prev,
        first_day=first_day,
        has_purchase=has_purchase,
        profit_assumed=bool(log.profit_assumed[keep].any()),
    )
