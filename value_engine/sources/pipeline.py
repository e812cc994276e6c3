"""What every engine does with a summary it holds: fit on the groups, score in batches.

The fit needs only the sufficient statistics (the distinct (x, t_x, T) and (x, m) with
their counts) and the average spend as a fallback: a few megabytes even for tens of
millions of customers, computed by the engine with GROUP BY. Scoring is then a pure
function of the fitted models and one batch of the summary, so an engine runs it where
the rows are (Spark's mapInPandas, DuckDB's record batches) and writes the scores back
there.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from value_engine.blocks import as_float64
from value_engine.holdout import HoldoutCheck, grouped_check, holdout_days_for
from value_engine.model_choice import fit_purchase_model, fit_spend_model
from value_engine.models import BgNbdParams, FitQuality, GammaGammaParams, ModelError
from value_engine.scoring import predict_summary, with_check
from value_engine.sources.summary_sql import holdout_groups_sql

SCORE_COLUMNS = ("expected_purchases", "p_alive", "expected_spend", "clv")


@dataclass(frozen=True, slots=True)
class SourceModels:
    bgnbd: BgNbdParams
    spend: GammaGammaParams
    quality: FitQuality
    customers: int  # customers with a purchase, the ones the models describe
    holdout: HoldoutCheck | None = None


def holdout_cut(first_purchase_day: int | None, as_of_day: int) -> int | None:
    """The day the holdout test's calibration ends (`holdout.holdout_days_for`), or None
    for a history too short to hold any back."""
    if first_purchase_day is None:
        return None
    days = holdout_days_for(as_of_day - first_purchase_day)
    return None if days is None else as_of_day - days


def backtest_where(
    run: Callable[[str], Mapping[str, np.ndarray]],
    summary: str,
    cut_day: int,
    as_of_day: int,
    unit_days: float = 7.0,
) -> HoldoutCheck | None:
    """`holdout.backtest` by the engine that holds the summary (made with
    `calibration_end=cut_day`): the purchase model fitted on the history up to the cut
    and its predictions after it against what happened; `run` executes a query and
    returns its columns."""
    rows = run(holdout_groups_sql(summary, cut_day, unit_days))
    x, t_x, big_t, actual, count = (
        np.asarray(rows[name], dtype=np.float64)
        for name in ("frequency", "recency", "t", "actual", "customers")
    )
    if not (x > 0).any():
        return None
    params = fit_purchase_model(x, t_x, big_t, count)  # the rows differ in `actual` too
    return grouped_check(params, as_of_day - cut_day, unit_days, x, t_x, big_t, actual, count)


def fit_groups(
    purchase: tuple[ArrayLike, ArrayLike, ArrayLike, ArrayLike],
    spend: tuple[ArrayLike, ArrayLike, ArrayLike],
    fallback_mean: float,
    holdout: HoldoutCheck | None = None,
) -> SourceModels:
    """`purchase` = (x, t_x, T, customers), `spend` = (x, m, customers), as grouped by the
    engine; the fits are the per-customer fits' (tests/test_sufficient.py)."""
    x, t_x, big_t, count = (as_float64(np.asarray(a)) for a in purchase)
    if count.size == 0:
        raise ModelError("no customer with a purchase to fit the models on")
    bgnbd = fit_purchase_model(x, t_x, big_t, count, distinct=True)
    sx, sm, scount = (as_float64(np.asarray(a)) for a in spend)
    spend_model = fit_spend_model(sx, sm, scount, fallback_mean=fallback_mean, distinct=True)
    quality = with_check(bgnbd, spend_model, holdout)
    return SourceModels(bgnbd, spend_model, quality, round(float(count.sum())), holdout)


def score_batch(
    models: SourceModels,
    customer_ids: Sequence[str],
    frequency: ArrayLike,
    recency: ArrayLike,
    age: ArrayLike,
    monetary: ArrayLike,
    horizon_steps: int,
    discount_rate: float,
) -> dict[str, np.ndarray]:
    """The four scores of one batch of customers (see `scoring.predict_summary`)."""
    p = predict_summary(
        models.bgnbd, models.spend, customer_ids, frequency, recency, age, monetary,
        horizon_steps, discount_rate,
    )  # fmt: skip
    return {
        "expected_purchases": p.expected_purchases,
        "p_alive": p.p_alive,
        "expected_spend": p.expected_spend,
        "clv": p.clv,
    }
