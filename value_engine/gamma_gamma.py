"""Gamma-Gamma spend model (Fader, Hardie & Lee 2005, "RFM and CLV"), by maximum likelihood.

Fitted on repeat customers only (x > 0) with their mean repeat-purchase value.
The model assumes spend is independent of purchase frequency; `spend_frequency_correlation`
lets callers check that before trusting it.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import optimize, special

from value_engine.blocks import block_sums
from value_engine.models import GammaGammaParams, SpendModel
from value_engine.newton import (
    WARM_START_ABOVE,
    Objective,
    newton_from_sample,
    remembered,
    sample,
)
from value_engine.search_box import LOG_BOUND, at_bound, settled
from value_engine.sufficient import distinct_values

FloatArray = NDArray[np.float64]


def _log_likelihood(p: float, q: float, v: float, x: FloatArray, m: FloatArray) -> FloatArray:
    px = p * x
    ll = (
        special.gammaln(px + q)
        - special.gammaln(px)
        - special.gammaln(q)
        + q * np.log(v)
        + (px - 1) * np.log(m)
        + px * np.log(x)
        - (px + q) * np.log(v + m * x)
    )
    return np.asarray(ll, dtype=np.float64)


def log_likelihood(
    params: GammaGammaParams, frequency: ArrayLike, monetary: ArrayLike
) -> FloatArray:
    x = np.asarray(frequency, dtype=np.float64)
    m = np.asarray(monetary, dtype=np.float64)
    return _log_likelihood(params.p, params.q, params.v, x, m)


SPEND_SCALE_BOUND = 25.0  # v is in money units: it can be large in a weak currency


def _objective(x: FloatArray, m: FloatArray, w: FloatArray) -> Objective:
    """The mean negative log-likelihood over log (p, q, v) and its gradient.

    Terms in x alone are computed per distinct x; the ones in m fold into constants,
    leaving one logarithm and one division per customer and evaluation. Everything per
    row is taken block by block (`blocks`), with no whole-length temporaries: at millions
    of rows, fresh arrays cost more than the arithmetic."""
    xs, index = distinct_values(x)
    count_x = np.bincount(index, weights=w, minlength=xs.size)
    total = float(w.sum())

    def logs_of_spend(rows: slice) -> FloatArray:
        log_m, weight = np.log(m[rows]), w[rows]
        return np.array([(weight * x[rows]) @ log_m, weight @ log_m])

    c_xlogm, c_logm = (float(t) for t in block_sums(logs_of_spend, x.size))
    c_xlogx = float(count_x @ (xs * np.log(xs)))

    def value_and_grad(log_params: FloatArray) -> tuple[float, FloatArray]:
        p, q, v = (float(val) for val in np.exp(log_params))

        def block(rows: slice) -> FloatArray:
            xr, weight = x[rows], w[rows]
            shifted = v + m[rows] * xr
            log_vs, inv_vs = np.log(shifted), 1.0 / shifted
            weight_x = weight * xr
            return np.array(
                [weight_x @ log_vs, weight @ log_vs, weight_x @ inv_vs, weight @ inv_vs]
            )

        sum_wx_log, sum_w_log, sum_wx_inv, sum_w_inv = (float(t) for t in block_sums(block, x.size))
        pxs = p * xs
        ll = (
            float(count_x @ (special.gammaln(pxs + q) - special.gammaln(pxs)))
            - total * float(special.gammaln(q))
            + q * np.log(v) * total
            + p * c_xlogm
            - c_logm
            + p * c_xlogx
            - p * sum_wx_log
            - q * sum_w_log
        )
        psi_pxq = special.digamma(pxs + q)
        d_p = float(count_x @ (xs * (psi_pxq - special.digamma(pxs)))) + c_xlogm + c_xlogx
        d_p -= sum_wx_log
        d_q = float(count_x @ psi_pxq) - total * float(special.digamma(q)) + total * np.log(v)
        d_q -= sum_w_log
        d_v = q * total / v - p * sum_wx_inv - q * sum_w_inv
        grad = np.array([d_p * p, d_q * q, d_v * v])
        return -ll / total, -grad / total

    return value_and_grad


def _minimize(
    objective: Objective, start: FloatArray, lower: FloatArray, upper: FloatArray
) -> optimize.OptimizeResult:
    return optimize.minimize(
        objective,
        start,
        jac=True,
        method="L-BFGS-B",
        bounds=list(zip(lower, upper, strict=True)),
        options={"maxiter": 2000, "ftol": 1e-13, "gtol": 1e-9},
    )


def fit_gamma_gamma(
    frequency: ArrayLike, monetary: ArrayLike, weights: ArrayLike | None = None
) -> GammaGammaParams:
    """Maximum-likelihood (p, q, v) from repeat customers' frequency and mean spend."""
    x = np.asarray(frequency, dtype=np.float64)
    m = np.asarray(monetary, dtype=np.float64)
    w = np.ones_like(x) if weights is None else np.asarray(weights, dtype=np.float64)
    keep = (x > 0) & (m > 0)
    if not keep.all():  # an engine's groups are all repeat buyers: no copies then
        x, m, w = x[keep], m[keep], w[keep]
    if float(w.sum()) < 3:  # rows may be groups of customers (value_engine.sufficient)
        raise ValueError("Gamma-Gamma needs at least 3 repeat customers with positive spend")
    whole = remembered(_objective(x, m, w))
    start = np.log([1.0, 1.0, float(np.mean(m))])
    lower = np.full(3, -LOG_BOUND)
    upper = np.array([LOG_BOUND, LOG_BOUND, SPEND_SCALE_BOUND])
    if x.size > WARM_START_ABOVE:  # x.size / 20 > 3: the sample has customers enough
        # As for BG/NBD: the far-off iterations on 5% of the rows, then Newton steps.
        rows, sampled = sample(w)
        part = _objective(x[rows], m[rows], sampled)
        start = _minimize(part, start, lower, upper).x
        start = newton_from_sample(whole, part, start, lower, upper)
    result = _minimize(whole, start, lower, upper)
    total = float(w.sum())
    p, q, v = (float(val) for val in np.exp(result.x))
    return GammaGammaParams(
        p=p,
        q=q,
        v=v,
        loglik=-float(result.fun) * total,  # the objective keeps every constant
        customers=round(total),
        converged=settled(result, total, lower, upper),
        at_bound=at_bound(("p", "q"), result.x[:2])
        + at_bound(("v",), result.x[2:], upper=SPEND_SCALE_BOUND),
    )


def expected_spend(
    params: GammaGammaParams, frequency: ArrayLike, monetary: ArrayLike
) -> FloatArray:
    """E[M | p, q, v, x, m̄]: a weighted blend of the population mean and the customer's own.

    Customers without repeat purchases get the population mean p·v/(q−1). Under the
    average-spend model everyone gets the average spend per purchase.
    """
    x = np.asarray(frequency, dtype=np.float64)
    m = np.asarray(monetary, dtype=np.float64)
    if params.kind is SpendModel.AVERAGE:
        return np.full(x.shape, params.mean_spend)
    p, q, v = params.p, params.q, params.v
    if q <= 1:
        raise ArithmeticError("Gamma-Gamma q <= 1: the population mean spend is undefined")
    population = p * v / (q - 1)
    own = np.where(x > 0, m, 0.0)
    weight = p * x / (p * x + q - 1)
    return (1 - weight) * population + weight * own


def spend_frequency_correlation(frequency: ArrayLike, monetary: ArrayLike) -> float:
    """Pearson correlation between frequency and mean spend among repeat customers."""
    x = np.asarray(frequency, dtype=np.float64)
    m = np.asarray(monetary, dtype=np.float64)
    keep = x > 0
    if keep.sum() < 3:
        return float("nan")
    return float(np.corrcoef(x[keep], m[keep])[0, 1])


def simulate_spend(
    params: GammaGammaParams, frequency: ArrayLike, rng: np.random.Generator
) -> FloatArray:
    """Mean repeat-purchase value per customer drawn from the model (0 without repeats).

    ν ~ Gamma(q, 1/v) per customer, each purchase ~ Gamma(p, 1/ν); the mean of x
    such purchases is Gamma(p·x, 1/(ν·x)).
    """
    x = np.asarray(frequency, dtype=np.float64)
    nu = rng.gamma(params.q, 1.0 / params.v, x.size)
    shape = np.where(x > 0, params.p * x, 1.0)
    mean = rng.gamma(shape, 1.0 / (nu * np.maximum(x, 1.0)))
    return np.where(x > 0, mean, 0.0)
