"""BG/NBD's limits when customers do not differ in how likely they are to drop out.

BG/NBD lets each customer's dropout probability p (after each purchase) vary as
Beta(a, b). Plausible data can leave nothing to estimate that spread from, and
the likelihood then keeps rising towards a limit that BG/NBD reaches only with
a or b infinite, so an optimizer runs into its search bounds and predictions
built on those numbers overflow. The limits are models of their own:

- nobody visibly drops out (p = 0): Ehrenberg's NBD model. Everyone stays
  active (P(alive) = 1) and buys as a Poisson process with a Gamma(r, α) rate;
- everyone shares one dropout probability (a, b → ∞ with a/(a+b) = p): the
  purchase rate still varies as Gamma(r, α), dropout happens at rate λp;
- dropout is all or nothing (a, b → 0 with a/(a+b) = p): a share p of customers
  drop out right after their first repeat purchase, the others never
  (`dropout_split`, which this module's predictions hand that kind to).

All three keep BG/NBD's likelihood, constants included (the NBD is the p = 0 case
of the other two), so fits can be compared directly, and all have closed-form
predictions. For the first two, with the posterior rate Gamma(r+x, α+T) of a
customer still active,
E[purchases in (T, T+t]] = P(alive) · (1 − ((α+T)/(α+T+pt))^(r+x)) / p,
which tends to (r+x)/(α+T) · t as p → 0.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special

from value_engine import dropout_split
from value_engine.blocks import weighted_mean
from value_engine.limit_params import limit_params
from value_engine.models import BgNbdParams, PurchaseModel
from value_engine.search_box import minimize_in_box
from value_engine.sufficient import distinct_values

FloatArray = NDArray[np.float64]


def fit_nbd(frequency: ArrayLike, age: ArrayLike, weights: ArrayLike | None = None) -> BgNbdParams:
    """Maximum-likelihood (r, α) with p = 0; `frequency` and `age` (T) as for `fit_bgnbd`.

    The likelihood is a sum of a term in x and terms in T weighted by 1 and by x, so it
    needs only each distinct x's customers and each distinct T's customers and purchases:
    a few thousand numbers for ages kept by the day, however many customers or groups."""
    x = np.asarray(frequency, dtype=np.float64)
    big_t = np.asarray(age, dtype=np.float64)
    w = np.ones_like(x) if weights is None else np.asarray(weights, dtype=np.float64)
    xs, index = distinct_values(x)
    count_x = np.bincount(index, weights=w, minlength=xs.size)
    ages, age_index = distinct_values(big_t)
    w_age = np.bincount(age_index, weights=w, minlength=ages.size)
    wx_age = np.bincount(age_index, weights=w * x, minlength=ages.size)
    total = float(w.sum())

    def value_and_grad(log_params: FloatArray) -> tuple[float, FloatArray]:
        r, alpha = (float(v) for v in np.exp(log_params))
        log_at = np.log(alpha + ages)
        inv_at = 1.0 / (alpha + ages)
        ll = (
            float(count_x @ (special.gammaln(r + xs) - special.gammaln(r)))
            + total * r * np.log(alpha)
            - r * float(w_age @ log_at)
            - float(wx_age @ log_at)
        )
        d_r = (
            float(count_x @ (special.digamma(r + xs) - special.digamma(r)))
            + total * np.log(alpha)
            - float(w_age @ log_at)
        )
        d_alpha = total * r / alpha - r * float(w_age @ inv_at) - float(wx_age @ inv_at)
        return -ll / total, -np.array([d_r * r, d_alpha * alpha]) / total

    scale = weighted_mean(big_t, w) or 1.0
    result = minimize_in_box(value_and_grad, np.log([1.0, scale]), jac=True)
    return limit_params(result, total, PurchaseModel.NBD, ("r", "alpha"))


def fit_common_dropout(
    frequency: ArrayLike,
    recency: ArrayLike,
    age: ArrayLike,
    weights: ArrayLike | None = None,
    start_p: float = 0.1,
) -> BgNbdParams:
    """Maximum-likelihood (r, α, p) with one dropout probability p for everyone."""
    x = np.asarray(frequency, dtype=np.float64)
    t_x = np.asarray(recency, dtype=np.float64)
    big_t = np.asarray(age, dtype=np.float64)
    w = np.ones_like(x) if weights is None else np.asarray(weights, dtype=np.float64)
    total = float(w.sum())
    repeat = x > 0

    def negative_ll(params: FloatArray) -> float:
        r, alpha = float(np.exp(params[0])), float(np.exp(params[1]))
        p = float(special.expit(params[2]))
        head = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
        alive = x * np.log1p(-p) - (r + x) * np.log(alpha + big_t)
        with np.errstate(divide="ignore"):
            dead = np.where(
                repeat,
                np.log(p) + (x - 1) * np.log1p(-p) - (r + x) * np.log(alpha + t_x),
                -np.inf,
            )
        return -float(w @ (head + np.logaddexp(alive, dead))) / total

    scale = weighted_mean(big_t, w) or 1.0
    start = np.array([0.0, np.log(scale), float(special.logit(min(max(start_p, 1e-4), 0.9)))])
    result = minimize_in_box(negative_ll, start, jac=False)  # p's logit is the third coordinate
    return limit_params(result, total, PurchaseModel.COMMON_DROPOUT, ("r", "alpha", "p"))


def probability_alive(
    params: BgNbdParams, frequency: ArrayLike, recency: ArrayLike, age: ArrayLike
) -> FloatArray:
    """1 for the NBD; otherwise 1/(1 + p/(1−p)·((α+T)/(α+t_x))^(r+x)) for repeat buyers."""
    x = np.asarray(frequency, dtype=np.float64)
    t_x = np.asarray(recency, dtype=np.float64)
    big_t = np.asarray(age, dtype=np.float64)
    if params.kind is PurchaseModel.DROPOUT_SPLIT:
        return dropout_split.probability_alive(params, x, t_x, big_t)
    if params.kind is PurchaseModel.NBD or params.p <= 0:
        return np.ones(x.shape)
    log_odds = (
        np.log(params.p)
        - np.log1p(-params.p)
        + (params.r + x) * (np.log(params.alpha + big_t) - np.log(params.alpha + t_x))
    )
    return np.asarray(np.where(x > 0, special.expit(-log_odds), 1.0), dtype=np.float64)


def active_purchases(
    params: BgNbdParams, frequency: FloatArray, age: FloatArray, t: float
) -> FloatArray:
    """E[purchases in (T, T+t]] for a customer known to be active at T."""
    rate = (params.r + frequency) / (params.alpha + age)
    if params.kind is PurchaseModel.NBD or params.p <= 0:
        return np.asarray(rate * t, dtype=np.float64)
    p = params.p
    # 1 − ((α+T)/(α+T+pt))^(r+x) without cancellation: −expm1((r+x)·log1p(−pt/(α+T+pt))).
    shrink = np.log1p(-p * t / (params.alpha + age + p * t))
    return np.asarray(-np.expm1((params.r + frequency) * shrink) / p, dtype=np.float64)


def expected_purchases(
    params: BgNbdParams, t: float, frequency: ArrayLike, recency: ArrayLike, age: ArrayLike
) -> FloatArray:
    x = np.asarray(frequency, dtype=np.float64)
    big_t = np.asarray(age, dtype=np.float64)
    if t <= 0:
        return np.zeros(x.shape)
    if params.kind is PurchaseModel.DROPOUT_SPLIT:
        t_x = np.asarray(recency, dtype=np.float64)
        return dropout_split.expected_purchases(params, t, x, t_x, big_t)
    alive = probability_alive(params, x, recency, big_t)
    return np.asarray(alive * active_purchases(params, x, big_t, t), dtype=np.float64)


def discounted_purchases(
    params: BgNbdParams,
    frequency: ArrayLike,
    recency: ArrayLike,
    age: ArrayLike,
    horizon_steps: int,
    discount_rate: float,
    step: float,
) -> FloatArray:
    """Σ_i (E[N(i·step)] − E[N((i−1)·step)]) / (1+d)^i, BG/NBD's cash-flow convention."""
    x = np.asarray(frequency, dtype=np.float64)
    big_t = np.asarray(age, dtype=np.float64)
    if params.kind is PurchaseModel.DROPOUT_SPLIT:
        t_x = np.asarray(recency, dtype=np.float64)
        return dropout_split.discounted_purchases(
            params, x, t_x, big_t, horizon_steps, discount_rate, step
        )
    alive = probability_alive(params, x, recency, big_t)
    total = np.zeros(x.shape)
    previous = np.zeros(x.shape)
    for i in range(1, horizon_steps + 1):
        current = active_purchases(params, x, big_t, i * step)
        total += (current - previous) / (1.0 + discount_rate) ** i
        previous = current
    return np.asarray(alive * total, dtype=np.float64)
