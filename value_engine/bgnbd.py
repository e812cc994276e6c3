"""BG/NBD purchase model (Fader, Hardie & Lee 2005), fitted by maximum likelihood.

Everything is vectorized and done in log space. Terms that depend only on the
purchase count x are computed once per distinct x and gathered, so a fit over a
million customers costs a handful of array passes per likelihood evaluation, and
the gradient is analytic, so the optimizer needs no finite differences.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import optimize, special

from value_engine import dropout_limits
from value_engine.blocks import block_sums, by_block, weighted_mean
from value_engine.models import BgNbdParams, PurchaseModel
from value_engine.newton import (
    WARM_START_ABOVE,
    Objective,
    newton_from_sample,
    remembered,
    sample,
)
from value_engine.search_box import LOG_BOUND, at_bound, settled
from value_engine.sufficient import distinct_keys, distinct_values

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


def _as_float(values: ArrayLike) -> FloatArray:
    return np.asarray(values, dtype=np.float64)


MAX_FREQUENCY = 1e9  # purchase counts index arrays: far above any real customer, far below 2^63


def _check(frequency: FloatArray, recency: FloatArray, age: FloatArray) -> None:
    if not (frequency.shape == recency.shape == age.shape):
        raise ValueError("frequency, recency and T must have the same length")
    if frequency.size == 0:
        raise ValueError("no customers to fit")
    problems = by_block(
        lambda rows: _problem(frequency[rows], recency[rows], age[rows]), frequency.size
    )  # block by block: no whole-length temporaries for the dozen tests
    for problem in problems:
        if problem is not None:
            raise ValueError(problem)


def _problem(frequency: FloatArray, recency: FloatArray, age: FloatArray) -> str | None:
    """What is wrong with these customers' summary, if anything."""
    if not (np.isfinite(frequency).all() and np.isfinite(recency).all()):
        return "frequency and recency must be finite numbers"
    if not np.isfinite(age).all() or np.any(age < 0):
        return "T must be a finite number >= 0"
    if np.any(frequency < 0) or np.any(frequency != np.floor(frequency)):
        return "frequency must be a non-negative whole number of repeat purchases"
    if np.any(frequency > MAX_FREQUENCY):
        return f"frequency above {MAX_FREQUENCY:.0e} repeat purchases is not plausible"
    if np.any(recency < 0) or np.any(recency > age + 1e-9):
        return "recency must lie between 0 and T"
    if np.any((frequency == 0) & (recency > 0)):
        return "customers without repeat purchases must have recency 0"
    return None


class _Likelihood:
    """Negative mean log-likelihood and its analytic gradient in log-parameters.

    Every term that depends on x alone (log-gammas, log-betas, digammas) is computed
    once per distinct x and gathered, so the per-row work is two logarithms (gathered
    too when ages and recencies are kept by the day), a softplus and a logistic. A
    customer without repeat purchases has no "dropped out after the last purchase"
    branch: its log-ratio of the two branches is -inf, softplus and logistic give 0, and
    the one pass serves every row, with no copies of the repeat buyers' millions of rows
    (grouped data hold the one-time buyers in a row per age anyway).
    """

    def __init__(
        self, frequency: FloatArray, recency: FloatArray, age: FloatArray, weights: FloatArray
    ) -> None:
        self.x, self.recency, self.age, self.w = frequency, recency, age, weights
        self.x_values, self.x_index = distinct_values(frequency)
        self.count_x = np.bincount(self.x_index, weights=weights, minlength=self.x_values.size)
        self.repeat_x = self.x_values > 0
        # Logs kept by the day have few distinct ages: take logs on those and gather.
        self.ages, age_index = distinct_values(age)
        self.age_index = age_index if self.ages.size * 8 < age.size else None
        self.recencies, rec_index = distinct_values(recency)
        self.rec_index = rec_index if self.recencies.size * 8 < recency.size else None
        self.total_weight = float(weights.sum())

    def value_and_grad(self, log_params: FloatArray) -> tuple[float, FloatArray]:
        r, alpha, a, b = (float(v) for v in np.exp(log_params))
        log_alpha = np.log(alpha)
        xs, idx, cx, w_all = self.x_values, self.x_index, self.count_x, self.w
        repeat = self.repeat_x

        beta_ab = special.betaln(a, b)
        head_x = special.gammaln(r + xs) - special.gammaln(r) + r * log_alpha
        alive_x = special.betaln(a, b + xs) - beta_ab
        gap_x = np.full(xs.size, -np.inf)  # log(dead branch / alive branch); none at x = 0
        gap_x[repeat] = special.betaln(a + 1, b + xs[repeat] - 1) - beta_ab - alive_x[repeat]
        # Per distinct day count, when logs are kept by the day: gathered, not recomputed.
        log_ages = None if self.age_index is None else np.log(alpha + self.ages)
        inv_ages = None if self.age_index is None else 1.0 / (alpha + self.ages)
        log_recs = None if self.rec_index is None else np.log(alpha + self.recencies)
        inv_recs = None if self.rec_index is None else 1.0 / (alpha + self.recencies)

        psi_abx = special.digamma(a + b + xs)
        psi_bx = special.digamma(b + xs)
        dead_psi = np.zeros(xs.size)  # ψ(b+x−1) − ψ(b+x), only where there is a dead branch
        dead_psi[repeat] = special.digamma(b + xs[repeat] - 1) - psi_bx[repeat]

        def log_and_inverse(
            values: FloatArray,
            index: NDArray[np.intp] | None,
            logs: FloatArray | None,
            inverses: FloatArray | None,
            rows: slice,
        ) -> tuple[FloatArray, FloatArray]:
            """log(α + t) and 1/(α + t) of the rows: gathered from the distinct values'
            when there is an index to them (np.take: twice as fast as indexing), computed
            otherwise."""
            if index is None:
                shifted = alpha + values[rows]
                return np.log(shifted), 1.0 / shifted
            at = index[rows]
            return np.take(logs, at), np.take(inverses, at)  # type: ignore[arg-type]

        def block(rows: slice) -> FloatArray:
            """The rows' log-likelihood less its terms in x alone, their parts of d_r and
            d_alpha, the dead branch's weight and its part of d_b."""
            la, inv_age = log_and_inverse(self.age, self.age_index, log_ages, inv_ages, rows)
            lr, inv_rec = log_and_inverse(self.recency, self.rec_index, log_recs, inv_recs, rows)
            ix, w = idx[rows], w_all[rows]
            rx = r + self.x[rows]
            log_ratio = lr - la
            gap = np.take(gap_x, ix) - rx * log_ratio  # log(dead branch / alive branch)
            # softplus(gap) and its derivative expit(gap) from exponentials of the gap's
            # parts below and above 0, without np.where's slow select; at -inf both are 0.
            above, below = np.maximum(gap, 0.0), np.minimum(gap, 0.0)
            small = np.exp(below - above)  # exp(-|gap|)
            inv = 1.0 / (1.0 + small)
            softplus = above + np.log1p(small)
            dead = np.exp(below) * inv  # expit(gap): the dead branch's share
            w_dead, w_rx = w * dead, w * rx
            return np.array(
                [
                    w @ softplus - w_rx @ la,
                    w @ la + w_dead @ log_ratio,
                    w_rx @ inv_age + (w_rx * dead) @ (inv_rec - inv_age),
                    w_dead.sum(),
                    w_dead @ np.take(dead_psi, ix),
                ]
            )

        sums = block_sums(block, self.x.size)
        value = float(cx @ (head_x + alive_x)) + float(sums[0])
        d_r = float(cx @ (special.digamma(r + xs) - special.digamma(r) + log_alpha))
        d_r -= float(sums[1])
        d_alpha = r / alpha * self.total_weight - float(sums[2])
        d_a = float(cx @ (special.digamma(a + b) - psi_abx))
        d_a += float(sums[3]) * float(special.digamma(a + 1) - special.digamma(a))
        d_b = float(cx @ (psi_bx - psi_abx - special.digamma(b) + special.digamma(a + b)))
        d_b += float(sums[4])

        grad = np.array([d_r * r, d_alpha * alpha, d_a * a, d_b * b])
        scale = self.total_weight
        return -value / scale, -grad / scale


def _per_customer_ll(
    params: BgNbdParams, x: FloatArray, t_x: FloatArray, big_t: FloatArray
) -> FloatArray:
    """Equation (6) of Fader, Hardie & Lee (2005) in log space, one value per customer."""
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    beta_ab = special.betaln(a, b)
    head = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
    log_alive = special.betaln(a, b + x) - beta_ab - (r + x) * np.log(alpha + big_t)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_dead = np.where(
            x > 0,
            special.betaln(a + 1, np.maximum(b + x - 1, 1e-300))
            - beta_ab
            - (r + x) * np.log(alpha + t_x),
            -np.inf,
        )
    return np.asarray(head + np.logaddexp(log_alive, log_dead), dtype=np.float64)


def log_likelihood(
    params: BgNbdParams, frequency: ArrayLike, recency: ArrayLike, age: ArrayLike
) -> FloatArray:
    """Per-customer log-likelihood, with every constant kept (comparable to published values)."""
    return _per_customer_ll(params, _as_float(frequency), _as_float(recency), _as_float(age))


def _minimize(objective: Objective, start: FloatArray) -> optimize.OptimizeResult:
    return optimize.minimize(
        objective,
        start,
        jac=True,
        method="L-BFGS-B",
        bounds=[(-LOG_BOUND, LOG_BOUND)] * 4,
        options={"maxiter": 2000, "ftol": 1e-13, "gtol": 1e-9},
    )


def fit_bgnbd(
    frequency: ArrayLike,
    recency: ArrayLike,
    age: ArrayLike,
    weights: ArrayLike | None = None,
) -> BgNbdParams:
    """Maximum-likelihood BG/NBD parameters.

    `frequency` is the number of repeat purchases, `recency` the age at the last
    purchase and `age` (T) the time since the first, all in one time unit;
    `weights` counts identical customers (a row standing for several).
    """
    x, t_x, big_t = _as_float(frequency), _as_float(recency), _as_float(age)
    _check(x, t_x, big_t)
    w = np.ones_like(x) if weights is None else _as_float(weights)
    scale = weighted_mean(big_t, w) or 1.0
    start = np.log([1.0, scale, 1.0, 1.0])
    whole = remembered(_Likelihood(x, t_x, big_t, w).value_and_grad)
    if x.size > WARM_START_ABOVE:
        # Most iterations are spent far from the optimum: take them on 5% of the rows, then
        # Newton steps on all the rows with the sample's curvature (`newton`).
        rows, sampled = sample(w)
        part = _Likelihood(x[rows], t_x[rows], big_t[rows], sampled).value_and_grad
        start = _minimize(part, start).x
        bound = np.full(4, LOG_BOUND)
        start = newton_from_sample(whole, part, start, -bound, bound)
    result = _minimize(whole, start)
    r, alpha, a, b = (float(v) for v in np.exp(result.x))
    ll_total = -float(result.fun) * float(w.sum())  # the objective keeps every constant
    if not np.isfinite(ll_total):
        raise ArithmeticError("BG/NBD fit did not converge to a finite likelihood")
    return BgNbdParams(
        r=r,
        alpha=alpha,
        a=a,
        b=b,
        loglik=ll_total,
        customers=round(float(w.sum())),
        converged=settled(result, float(w.sum())),
        at_bound=at_bound(("r", "alpha", "a", "b"), result.x),
    )


def _log_tail(params: BgNbdParams, x: FloatArray, age: FloatArray, t: FloatArray) -> FloatArray:
    """log of ((α+T)/(α+T+t))^(r+x) · 2F1(r+x, b+x; a+b+x−1; t/(α+T+t)).

    Euler's transformation turns the hypergeometric term into
    (1−z)^(a−1) · 2F1(a+b−1−r, a−1; a+b+x−1; z), whose first two parameters no
    longer grow with x: the series stays short and never overflows, where the
    textbook form blows up for frequent buyers and long horizons.
    """
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    z = t / (alpha + age + t)
    hyp = special.hyp2f1(a + b - 1 - r, a - 1, a + b + x - 1, z)
    return np.asarray((a - 1) * np.log1p(-z) + np.log(hyp), dtype=np.float64)


def purchase_pairs(
    frequency: FloatArray, age: FloatArray
) -> tuple[FloatArray, FloatArray, IntArray]:
    """Distinct (x, T) pairs and each customer's pair: the hypergeometric term depends on
    nothing else, and logs kept by the day repeat these pairs a great deal."""
    ages, age_index = distinct_values(age)
    stride = int(frequency.max(initial=0)) + 1
    key = age_index.astype(np.int64) * stride + frequency.astype(np.int64)
    keys, inverse = distinct_keys(key, ages.size * stride)
    return (keys % stride).astype(np.float64), ages[keys // stride], inverse


def conditional_factors(
    params: BgNbdParams, frequency: ArrayLike, recency: ArrayLike, age: ArrayLike
) -> tuple[FloatArray, FloatArray, FloatArray, IntArray]:
    """The pieces of equation (10) that do not depend on the horizon.

    Returns (lead per pair, T per pair, x per pair, pair index per customer) so that
    E[Y(t)] = lead·(1 − tail(t)) / (1 + dropout odds); `tail` is `_log_tail` on pairs.
    """
    x, big_t = _as_float(frequency), _as_float(age)
    pair_x, pair_t, inverse = purchase_pairs(x, big_t)
    a = _away_from_one(params.a)
    lead = (a + params.b + pair_x - 1) / (a - 1)
    return lead, pair_t, pair_x, inverse


def _away_from_one(a: float) -> float:
    """The formula has a removable singularity at a = 1: step off it."""
    return 1.0 + 1e-7 if abs(a - 1.0) < 1e-7 else a


def expected_purchases(
    params: BgNbdParams, t: float, frequency: ArrayLike, recency: ArrayLike, age: ArrayLike
) -> FloatArray:
    """E[purchases in (T, T+t] | x, t_x, T]: equation (10) of Fader, Hardie & Lee (2005)."""
    x, t_x, big_t = _as_float(frequency), _as_float(recency), _as_float(age)
    if t <= 0:
        return np.zeros(x.shape)
    if params.kind is not PurchaseModel.BGNBD:
        return dropout_limits.expected_purchases(params, t, x, t_x, big_t)
    params = replace(params, a=_away_from_one(params.a))
    lead, pair_t, pair_x, inverse = conditional_factors(params, x, t_x, big_t)
    tail = np.exp(_log_tail(params, pair_x, pair_t, np.full(pair_t.shape, float(t))))
    per_pair = lead * (1.0 - tail)
    denominator = 1.0 + np.exp(_log_dropout_odds(params, x, t_x, big_t))
    return np.asarray(per_pair[inverse] / denominator, dtype=np.float64)


def _log_dropout_odds(
    params: BgNbdParams, x: FloatArray, recency: FloatArray, age: FloatArray
) -> FloatArray:
    """log of δ(x>0) · a/(b+x−1) · ((α+T)/(α+t_x))^(r+x); −inf for x = 0."""
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    with np.errstate(divide="ignore", invalid="ignore"):
        odds = (
            np.log(a)
            - np.log(np.maximum(b + x - 1, 1e-300))
            + (r + x) * (np.log(alpha + age) - np.log(alpha + recency))
        )
    return np.where(x > 0, odds, -np.inf)


def probability_alive(
    params: BgNbdParams, frequency: ArrayLike, recency: ArrayLike, age: ArrayLike
) -> FloatArray:
    """P(still a customer | x, t_x, T)."""
    x, t_x, big_t = _as_float(frequency), _as_float(recency), _as_float(age)
    if params.kind is not PurchaseModel.BGNBD:
        return dropout_limits.probability_alive(params, x, t_x, big_t)
    return np.asarray(special.expit(-_log_dropout_odds(params, x, t_x, big_t)), dtype=np.float64)


def simulate(
    params: BgNbdParams, ages: ArrayLike, rng: np.random.Generator
) -> tuple[FloatArray, FloatArray]:
    """Draw (frequency, recency) for customers observed for `ages` under the model.

    Used for parameter-recovery tests and synthetic data: each customer gets a
    purchase rate λ ~ Gamma(r, 1/α) and a dropout probability p ~ Beta(a, b), buys
    as a Poisson process and may drop out after each purchase.
    """
    big_t = _as_float(ages)
    n = big_t.size
    lam = rng.gamma(params.r, 1.0 / params.alpha, n)
    p = rng.beta(params.a, params.b, n)
    frequency = np.zeros(n)
    recency = np.zeros(n)
    clock = np.zeros(n)
    active = np.ones(n, dtype=bool)
    while active.any():
        idx = np.flatnonzero(active)
        clock[idx] += rng.exponential(1.0, idx.size) / lam[idx]
        in_window = clock[idx] <= big_t[idx]
        bought = idx[in_window]
        frequency[bought] += 1
        recency[bought] = clock[bought]
        survives = rng.random(bought.size) >= p[bought]
        active[:] = False
        active[bought[survives]] = True
    return frequency, recency
