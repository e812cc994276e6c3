"""The NBD purchase model: BG/NBD's limit when nobody visibly drops out.

When a company's customers all keep buying, the BG/NBD likelihood keeps rising
as the dropout probability's Beta(a, b) prior shrinks to zero (a → 0, b → ∞),
so an optimizer runs into its search bounds and the predictions are built on
numbers that are artefacts of those bounds. The limit is a model of its own
(Ehrenberg's NBD): every customer stays active (P(alive) = 1) and buys as a
Poisson process whose rate is Gamma(r, α) across customers. Its likelihood is
BG/NBD's with the dropout branch gone, constants included, so the two fits can
be compared directly, and its predictions have closed forms.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import optimize, special

from value_engine.models import BgNbdParams, PurchaseModel
from value_engine.search_box import LOG_BOUND, at_bound

FloatArray = NDArray[np.float64]


def fit_nbd(frequency: ArrayLike, age: ArrayLike, weights: ArrayLike | None = None) -> BgNbdParams:
    """Maximum-likelihood (r, α); `frequency` and `age` (T) as for `fit_bgnbd`."""
    x = np.asarray(frequency, dtype=np.float64)
    big_t = np.asarray(age, dtype=np.float64)
    w = np.ones_like(x) if weights is None else np.asarray(weights, dtype=np.float64)
    xs, index = np.unique(x, return_inverse=True)
    count_x = np.bincount(index.ravel(), weights=w, minlength=xs.size)
    total = float(w.sum())
    wx = w * x

    def value_and_grad(log_params: FloatArray) -> tuple[float, FloatArray]:
        r, alpha = (float(v) for v in np.exp(log_params))
        log_at = np.log(alpha + big_t)
        inv_at = 1.0 / (alpha + big_t)
        ll = (
            float(count_x @ (special.gammaln(r + xs) - special.gammaln(r)))
            + total * r * np.log(alpha)
            - r * float(w @ log_at)
            - float(wx @ log_at)
        )
        d_r = (
            float(count_x @ (special.digamma(r + xs) - special.digamma(r)))
            + total * np.log(alpha)
            - float(w @ log_at)
        )
        d_alpha = total * r / alpha - r * float(w @ inv_at) - float(wx @ inv_at)
        return -ll / total, -np.array([d_r * r, d_alpha * alpha]) / total

    scale = float(np.average(big_t, weights=w)) or 1.0
    result = optimize.minimize(
        value_and_grad,
        np.log([1.0, scale]),
        jac=True,
        method="L-BFGS-B",
        bounds=[(-LOG_BOUND, LOG_BOUND)] * 2,
        options={"maxiter": 2000, "ftol": 1e-13, "gtol": 1e-9},
    )
    r, alpha = (float(v) for v in np.exp(result.x))
    return BgNbdParams(
        r=r,
        alpha=alpha,
        a=0.0,
        b=0.0,
        loglik=-float(result.fun) * total,
        customers=round(total),
        converged=bool(result.success),
        kind=PurchaseModel.NBD,
        at_bound=at_bound(("r", "alpha"), result.x),
    )


def purchase_rate(params: BgNbdParams, frequency: ArrayLike, age: ArrayLike) -> FloatArray:
    """E[λ | x, T] = (r + x)/(α + T): expected purchases per time unit from now on."""
    x = np.asarray(frequency, dtype=np.float64)
    big_t = np.asarray(age, dtype=np.float64)
    return np.asarray((params.r + x) / (params.alpha + big_t), dtype=np.float64)


def discount_sum(horizon_steps: int, discount_rate: float) -> float:
    """Σ_{i=1..H} (1+d)^−i: each step's purchases discounted at the step's end."""
    return float(sum((1.0 + discount_rate) ** -i for i in range(1, horizon_steps + 1)))
