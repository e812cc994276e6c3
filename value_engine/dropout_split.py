"""BG/NBD's limit when dropout is all or nothing: a, b → 0 with a/(a+b) = p.

Beta(a, b) with both parameters near 0 puts its mass on 0 and 1: a share p of customers
drop out right after their first repeat purchase (leavers), the others never (stayers).
Small data can push BG/NBD there: 207 customers buying 1 to 8 times at random dates in
one year stopped at a = 6e-6 (the search box's edge) and b = 8e-5, where its
hypergeometric term sits next to a pole (c = a+b+x−1 ≈ −1 for x = 0) and expected
purchases came out not finite. The limit is a model of its own, with BG/NBD's
likelihood, constants included, and closed forms. With NBD(x, t) = Γ(r+x)/Γ(r) ·
α^r / (α+t)^(r+x) (the purchase rate λ ~ Gamma(r, α) integrated out):

- likelihood: NBD(0, T) for x = 0 (nobody drops out before a repeat purchase);
  (1−p)·NBD(1, T) + p·NBD(1, t_x) for x = 1; (1−p)·NBD(x, T) for x ≥ 2 (a leaver
  buys once more at most);
- P(alive) = 1 except for x = 1: 1/(1 + p/(1−p)·((α+T)/(α+t_x))^(r+1));
- E[purchases in (T, T+t]]: an active stayer buys (r+x)/(α+T)·t; a customer without a
  repeat purchase is a leaver with probability p, who buys once more with probability
  1 − ((α+T)/(α+T+t))^r, and a stayer otherwise.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special

from value_engine.blocks import weighted_mean
from value_engine.limit_params import limit_params
from value_engine.models import BgNbdParams, PurchaseModel
from value_engine.search_box import minimize_in_box

FloatArray = NDArray[np.float64]


def fit_dropout_split(
    frequency: ArrayLike,
    recency: ArrayLike,
    age: ArrayLike,
    weights: ArrayLike | None = None,
    start: BgNbdParams | None = None,
) -> BgNbdParams:
    """Maximum-likelihood (r, α, p), p the share of leavers; as `fit_bgnbd` otherwise.

    `start`: the BG/NBD fit that ran towards this limit. Its (r, α, a/(a+b)) has nearly
    this model's likelihood, and r and α often run off together there too (every
    customer buying at one rate): started elsewhere, the optimizer stops short on that
    flat ridge, below the BG/NBD fit it is the limit of."""
    x = np.asarray(frequency, dtype=np.float64)
    t_x = np.asarray(recency, dtype=np.float64)
    big_t = np.asarray(age, dtype=np.float64)
    w = np.ones_like(x) if weights is None else np.asarray(weights, dtype=np.float64)
    total = float(w.sum())
    once, repeat = x == 1, x > 0

    def value_and_grad(params: FloatArray) -> tuple[float, FloatArray]:
        """x = 0 is the stayer's term alone (a leaver's is the same NBD(0, T)): the
        leaver's is −inf there and for x ≥ 2, and its share `leave` 0."""
        r, alpha = float(np.exp(params[0])), float(np.exp(params[1]))
        p = float(special.expit(params[2]))
        log_p, log_q = float(special.log_expit(params[2])), float(special.log_expit(-params[2]))
        log_age, log_rec = np.log(alpha + big_t), np.log(alpha + t_x)
        head = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
        stayer = np.where(repeat, log_q, 0.0) - (r + x) * log_age
        leaver = np.where(once, log_p - (r + 1) * log_rec, -np.inf)
        leave = special.expit(leaver - stayer)
        stay = 1.0 - leave
        d_r = special.digamma(r + x) - special.digamma(r) + np.log(alpha)
        d_r -= stay * log_age + leave * log_rec
        d_alpha = r / alpha - (r + x) * (stay / (alpha + big_t) + leave / (alpha + t_x))
        d_logit = np.where(repeat, -p * stay, 0.0) + (1.0 - p) * leave
        grad = np.array([r * (w @ d_r), alpha * (w @ d_alpha), w @ d_logit])
        return -float(w @ (head + np.logaddexp(stayer, leaver))) / total, -grad / total

    if start is None:
        begin = np.array([0.0, np.log(weighted_mean(big_t, w) or 1.0), special.logit(0.1)])
    else:
        share = min(max(start.a / (start.a + start.b), 1e-4), 0.9)
        begin = np.array([np.log(start.r), np.log(start.alpha), special.logit(share)])
    result = minimize_in_box(value_and_grad, begin, jac=True)
    return limit_params(result, total, PurchaseModel.DROPOUT_SPLIT, ("r", "alpha", "p"))


def probability_alive(
    params: BgNbdParams, frequency: FloatArray, recency: FloatArray, age: FloatArray
) -> FloatArray:
    """P(active at T): below 1 only for one repeat purchase, which a leaver makes last."""
    r, alpha, p = params.r, params.alpha, params.p
    if p <= 0:
        return np.ones(frequency.shape)
    if p >= 1:
        return np.where(frequency == 1, 0.0, 1.0)
    log_odds = np.log(p) - np.log1p(-p) + (r + 1) * (np.log(alpha + age) - np.log(alpha + recency))
    return np.asarray(np.where(frequency == 1, special.expit(-log_odds), 1.0), dtype=np.float64)


def _kinds(
    params: BgNbdParams, frequency: FloatArray, recency: FloatArray, age: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """(P(an active stayer), P(a leaver yet to make the repeat purchase)) per customer."""
    alive = probability_alive(params, frequency, recency, age)
    fresh = frequency == 0
    stayer = np.where(fresh, 1.0 - params.p, alive)
    return stayer, np.where(fresh, params.p, 0.0)


def _purchases(
    params: BgNbdParams,
    frequency: FloatArray,
    age: FloatArray,
    t: float,
    stayer: FloatArray,
    leaver: FloatArray,
) -> FloatArray:
    """E[purchases in (T, T+t]] from the customer's chances of being either kind."""
    r, alpha = params.r, params.alpha
    steady = (r + frequency) / (alpha + age) * t
    # 1 − ((α+T)/(α+T+t))^r without cancellation: −expm1(r·log1p(−t/(α+T+t))).
    once_more = -np.expm1(r * np.log1p(-t / (alpha + age + t)))
    return np.asarray(stayer * steady + leaver * once_more, dtype=np.float64)


def expected_purchases(
    params: BgNbdParams, t: float, frequency: FloatArray, recency: FloatArray, age: FloatArray
) -> FloatArray:
    stayer, leaver = _kinds(params, frequency, recency, age)
    return _purchases(params, frequency, age, t, stayer, leaver)


def discounted_purchases(
    params: BgNbdParams,
    frequency: FloatArray,
    recency: FloatArray,
    age: FloatArray,
    horizon_steps: int,
    discount_rate: float,
    step: float,
) -> FloatArray:
    """Σ_i (E[N(i·step)] − E[N((i−1)·step)]) / (1+d)^i, BG/NBD's cash-flow convention."""
    stayer, leaver = _kinds(params, frequency, recency, age)
    total = np.zeros(frequency.shape)
    previous = np.zeros(frequency.shape)
    for i in range(1, horizon_steps + 1):
        current = _purchases(params, frequency, age, i * step, stayer, leaver)
        total += (current - previous) / (1.0 + discount_rate) ** i
        previous = current
    return total
