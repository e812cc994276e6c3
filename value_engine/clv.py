"""Discounted customer lifetime value from the two fitted models.

CLV over H steps = Σ_{i=1..H} E[M] · (E[N(i)] − E[N(i−1)]) / (1+d)^i, the same
cash-flow convention as `lifetimes` (purchases within a step are discounted at
the step's end), so both can be compared number for number.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import ArrayLike, NDArray

from value_engine import dropout_limits
from value_engine.bgnbd import _away_from_one, _log_dropout_odds, _log_tail, conditional_factors
from value_engine.gamma_gamma import expected_spend
from value_engine.models import BgNbdParams, GammaGammaParams, PurchaseModel

FloatArray = NDArray[np.float64]


def discounted_clv(
    bgnbd: BgNbdParams,
    spend: ArrayLike,
    frequency: ArrayLike,
    recency: ArrayLike,
    age: ArrayLike,
    horizon_steps: int,
    discount_rate: float,
    step: float = 1.0,
    margin: ArrayLike = 1.0,
) -> FloatArray:
    """CLV over `horizon_steps` steps of `step` model-time units, discounted per step.

    `margin` turns spend into profit (1.0: revenue CLV, as `lifetimes` reports it).
    """
    if horizon_steps < 0:
        raise ValueError("horizon must not be negative")
    if discount_rate <= -1:
        raise ValueError("discount rate must be above -100%")
    x = np.asarray(frequency, dtype=np.float64)
    t_x = np.asarray(recency, dtype=np.float64)
    big_t = np.asarray(age, dtype=np.float64)
    value = np.asarray(spend, dtype=np.float64) * np.asarray(margin, dtype=np.float64)
    if bgnbd.kind is not PurchaseModel.BGNBD:
        return value * dropout_limits.discounted_purchases(
            bgnbd, x, t_x, big_t, horizon_steps, discount_rate, step
        )
    params = replace(bgnbd, a=_away_from_one(bgnbd.a))
    lead, pair_t, pair_x, inverse = conditional_factors(params, x, t_x, big_t)
    discounted = _discounted_purchases(
        params, lead, pair_x, pair_t, horizon_steps, discount_rate, step
    )
    denominator = 1.0 + np.exp(_log_dropout_odds(params, x, t_x, big_t))
    return np.asarray(value * discounted[inverse] / denominator, dtype=np.float64)


def _discounted_purchases(
    params: BgNbdParams,
    lead: FloatArray,
    pair_x: FloatArray,
    pair_t: FloatArray,
    horizon_steps: int,
    discount_rate: float,
    step: float,
) -> FloatArray:
    """Σ_i lead·(tail(i−1) − tail(i)) / (1+d)^i per (x, T) pair, with tail(0) = 1: the
    discounted expected purchases before the dropout-odds denominator."""
    discounted = np.zeros(pair_t.shape)
    previous = np.ones(pair_t.shape)
    for i in range(1, horizon_steps + 1):
        tail = np.exp(_log_tail(params, pair_x, pair_t, np.full(pair_t.shape, i * step)))
        discounted += lead * (previous - tail) / (1.0 + discount_rate) ** i
        previous = tail
    return discounted


@dataclass(frozen=True, slots=True)
class Predictions:
    expected_purchases: FloatArray
    p_alive: FloatArray
    expected_spend: FloatArray
    clv: FloatArray


def predict_all(
    bgnbd: BgNbdParams,
    gamma_gamma: GammaGammaParams,
    frequency: ArrayLike,
    recency: ArrayLike,
    age: ArrayLike,
    monetary: ArrayLike,
    purchase_horizon: float,
    horizon_steps: int,
    discount_rate: float,
    step: float = 1.0,
    margin: ArrayLike = 1.0,
) -> Predictions:
    """Every per-customer prediction in one pass, sharing the (x, T) pairs and the
    dropout odds between expected purchases, P(alive) and CLV."""
    x = np.asarray(frequency, dtype=np.float64)
    t_x = np.asarray(recency, dtype=np.float64)
    big_t = np.asarray(age, dtype=np.float64)
    spend = expected_spend(gamma_gamma, x, monetary)
    value = spend * np.asarray(margin, dtype=np.float64)
    if bgnbd.kind is not PurchaseModel.BGNBD:
        return Predictions(
            expected_purchases=dropout_limits.expected_purchases(
                bgnbd, purchase_horizon, x, t_x, big_t
            ),
            p_alive=dropout_limits.probability_alive(bgnbd, x, t_x, big_t),
            expected_spend=spend,
            clv=value
            * dropout_limits.discounted_purchases(
                bgnbd, x, t_x, big_t, horizon_steps, discount_rate, step
            ),
        )
    params = replace(bgnbd, a=_away_from_one(bgnbd.a))
    lead, pair_t, pair_x, inverse = conditional_factors(params, x, t_x, big_t)
    odds = np.exp(_log_dropout_odds(params, x, t_x, big_t))
    denominator = 1.0 + odds

    horizon_tail = np.exp(
        _log_tail(params, pair_x, pair_t, np.full(pair_t.shape, purchase_horizon))
    )
    purchases = (
        (lead * (1.0 - horizon_tail))[inverse] / denominator
        if purchase_horizon > 0
        else np.zeros(x.shape)
    )

    discounted = _discounted_purchases(
        params, lead, pair_x, pair_t, horizon_steps, discount_rate, step
    )
    return Predictions(
        expected_purchases=np.asarray(purchases, dtype=np.float64),
        p_alive=np.asarray(1.0 / denominator, dtype=np.float64),
        expected_spend=spend,
        clv=np.asarray(value * discounted[inverse] / denominator, dtype=np.float64),
    )
