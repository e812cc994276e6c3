"""Gamma-Gamma's limit when customers do not differ in how much they spend per purchase.

Gamma-Gamma lets each purchase be Gamma(p, ν) and each customer's ν vary as Gamma(q, v).
When customers' average spends differ no more than their purchases' own spread makes
them differ, the likelihood keeps rising as q → ∞ with v/q fixed (one ν for everyone),
along a ridge so flat that where an optimizer stops on it is rounding: the same 400
customers gave q ≈ 906 "converged" on one CPU and not converged on another. So the fit
must not be judged by where the optimizer stopped but by whether the data show a spread
at all, as BG/NBD's limits are (`dropout_limits`, `model_choice`).

The limit is a model of its own: every purchase Gamma(p, ν) with the same ν, so a
customer's mean of x purchases is Gamma(p·x, ν·x). It is Gamma-Gamma's likelihood at
q = ∞, constants included, so the two compare by a likelihood ratio. For a given p the
best ν is p·Σx/Σx·m̄, so the fit is one root of a decreasing function of p (the log-
likelihood is strictly concave in p), and the expected spend of every customer is
p/ν = Σx·m̄/Σx: the average spend per purchase, the engine's SpendModel.AVERAGE.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import optimize, special

from value_engine.blocks import block_sums
from value_engine.search_box import LOG_BOUND
from value_engine.sufficient import distinct_values

FloatArray = NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class CommonSpend:
    """The limit's fit: purchases Gamma(p, ν) for everyone (mean p/ν per purchase)."""

    p: float
    nu: float
    loglik: float  # Gamma-Gamma's, constants included: comparable to its fits
    mean_spend: float  # p/ν: the average spend per purchase, weighted by purchases


def fit_common_spend(x: FloatArray, m: FloatArray, w: FloatArray) -> CommonSpend:
    """Maximum-likelihood (p, ν) from repeat buyers' counts x > 0, mean spends m > 0 and
    weights w (customers per row). Only sums enter: the fit costs one pass over the rows."""
    xs, index = distinct_values(x)
    count_x = np.bincount(index, weights=w, minlength=xs.size)

    def sums(rows: slice) -> FloatArray:
        weight_x, log_m = w[rows] * x[rows], np.log(m[rows])
        return np.array([weight_x @ m[rows], weight_x @ log_m, w[rows] @ log_m])

    spend, x_log_m, log_m_total = (float(s) for s in block_sums(sums, x.size))
    purchases = float(count_x @ xs)
    x_log_x = float(count_x @ (xs * np.log(xs)))
    mean = spend / purchases

    def slope(log_p: float) -> float:
        """d loglik / dp at ν = p/mean (its best ν): decreasing in p."""
        p = float(np.exp(log_p))
        digammas = float(count_x @ (xs * special.digamma(p * xs)))
        return float(purchases * np.log(p / mean)) + x_log_x - digammas + x_log_m

    # The slope is +∞ as p → 0; still positive at the box's edge when every mean spend is
    # the same (no spread within customers either): p stays there, the mean is exact.
    low, high = -LOG_BOUND, LOG_BOUND
    log_p = high if slope(high) >= 0 else optimize.brentq(slope, low, high, xtol=1e-12, rtol=1e-12)
    p = float(np.exp(log_p))
    nu = p / mean
    loglik = (
        p * purchases * np.log(nu)
        + p * x_log_x
        - float(count_x @ special.gammaln(p * xs))
        + p * x_log_m
        - log_m_total
        - nu * spend
    )
    return CommonSpend(p=p, nu=nu, loglik=float(loglik), mean_spend=mean)
