"""Discounted customer lifetime value from the two fitted models.

CLV over H steps = Σ_{i=1..H} E[M] · (E[N(i)] − E[N(i−1)]) / (1+d)^i, the same
cash-flow convention as `lifetimes` (purchases within a step are discounted at
the step's end), so both can be compared number for number.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from value_engine.bgnbd import expected_purchases
from value_engine.models import BgNbdParams

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
    clv = np.zeros(x.shape)
    previous = np.zeros(x.shape)
    for i in range(1, horizon_steps + 1):
        cumulative = expected_purchases(bgnbd, i * step, x, t_x, big_t)
        clv += value * (cumulative - previous) / (1.0 + discount_rate) ** i
        previous = cumulative
    return clv
