"""Key-driver analysis of customer equity: how much of the outcome each driver explains.

A regression's coefficients cannot answer "which driver matters most" when drivers are
correlated (they always are in surveys). The R² is instead shared out among the drivers:
exactly, by the Shapley value of each driver over all subsets of drivers (Lipovetsky &
Conklin 2001), or, when there are too many drivers for 2^p regressions, by Johnson's
relative weights (Johnson 2000, Multivariate Behavioral Research 35(1)), which approximate
it closely. Either way the weights add up to the model's R². Both work on the correlation
matrix alone, so the cost does not grow with the number of respondents beyond one pass.
"""

from __future__ import annotations

from math import factorial

import numpy as np
from scipy import linalg

from value_engine.survey.models import (
    DriverWeight,
    EquityReport,
    Priority,
    Scale,
    SurveyError,
)

EXACT_UP_TO = 14  # drivers; 2^14 subset regressions take about a second
MIN_RESPONDENTS_PER_DRIVER = 2


def _correlations(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(driver-driver correlation matrix, driver-outcome correlations)."""
    data = np.column_stack([x, y]).astype(np.float64)
    data -= data.mean(axis=0)
    scale = np.sqrt((data**2).sum(axis=0))
    data /= scale
    corr = data.T @ data
    p = x.shape[1]
    return corr[:p, :p], corr[:p, p]


def _r2(rxx: np.ndarray, rxy: np.ndarray) -> float:
    if rxy.size == 0:
        return 0.0
    try:
        beta = linalg.solve(rxx, rxy, assume_a="pos", check_finite=False)
    except (linalg.LinAlgError, ValueError):
        beta = np.linalg.lstsq(rxx, rxy, rcond=None)[0]  # collinear drivers
    return float(np.clip(rxy @ beta, 0.0, 1.0))


def shapley_weights(rxx: np.ndarray, rxy: np.ndarray) -> np.ndarray:
    """Each driver's exact Shapley share of R², from all 2^p subset regressions."""
    p = rxy.size
    masks = np.arange(1 << p)
    r2 = np.zeros(1 << p)
    for mask in range(1, 1 << p):
        members = [j for j in range(p) if mask >> j & 1]
        r2[mask] = _r2(rxx[np.ix_(members, members)], rxy[members])
    sizes = np.array([bin(m).count("1") for m in masks])
    coalition = np.array([factorial(s) * factorial(p - s - 1) / factorial(p) for s in range(p)])
    weights = np.empty(p)
    for j in range(p):
        without = masks[(masks >> j & 1) == 0]
        weights[j] = float(coalition[sizes[without]] @ (r2[without | 1 << j] - r2[without]))
    return weights


def relative_weights(rxx: np.ndarray, rxy: np.ndarray) -> np.ndarray:
    """Johnson's relative weights: regress on the closest orthogonal copies of the drivers,
    then carry each orthogonal variable's R² back to the drivers it is made of."""
    values, vectors = np.linalg.eigh(rxx)
    values = np.clip(values, 0.0, None)
    lam = vectors @ np.diag(np.sqrt(values)) @ vectors.T  # drivers x orthogonal variables
    beta = np.linalg.lstsq(lam, rxy, rcond=None)[0]
    weights: np.ndarray = (lam**2) @ (beta**2)
    return weights


def _priorities(shares: np.ndarray, performance: np.ndarray) -> list[Priority]:
    """Importance × performance quadrants, centred on the averages over the drivers."""
    important = shares >= 1.0 / shares.size
    good = performance >= performance.mean()
    return [
        (Priority.KEEP_UP if g else Priority.FIX_FIRST)
        if i
        else (Priority.OVERKILL if g else Priority.LOW_PRIORITY)
        for i, g in zip(important, good, strict=True)
    ]


def analyse(
    drivers: list[tuple[str, str]],
    ratings: np.ndarray,
    outcome: np.ndarray,
    scale: Scale,
    outcome_name: str = "intention",
    method: str | None = None,
) -> EquityReport:
    """`drivers` are (group, name) for the columns of `ratings` (respondents x drivers)."""
    x = np.asarray(ratings, dtype=np.float64)
    y = np.asarray(outcome, dtype=np.float64)
    n, p = x.shape
    if p == 0:
        raise SurveyError("no_drivers")
    if n < max(10, MIN_RESPONDENTS_PER_DRIVER * p + 2):
        raise SurveyError("too_few_respondents", n=n, need=max(10, 2 * p + 2))
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise SurveyError("not_finite")
    if np.ptp(y) == 0:
        raise SurveyError("constant_outcome")
    varies = np.ptp(x, axis=0) > 0
    used = np.flatnonzero(varies)
    weights = np.zeros(p)
    chosen = method or ("shapley" if used.size <= EXACT_UP_TO else "relative_weights")
    if used.size:
        rxx, rxy = _correlations(x[:, used], y)
        if chosen == "shapley":
            weights[used] = shapley_weights(rxx, rxy)
        else:
            weights[used] = relative_weights(rxx, rxy)
            # The weights add up to R² in theory; with collinear drivers (a singular
            # correlation matrix) the least-squares step can fall short, so rescale.
            r2 = _r2(rxx, rxy)
            total = weights.sum()
            if total > 0:
                weights *= r2 / total
    # Shapley values add up to R² by construction (and may be slightly negative for a
    # suppressor driver); they are reported as they are.
    r2 = max(float(weights.sum()), 0.0)
    shares = weights / r2 if r2 > 0 else np.zeros(p)
    performance = x.mean(axis=0)
    priorities = _priorities(shares, performance)
    results = [
        DriverWeight(
            driver=name,
            group=group,
            weight=float(weights[j]),
            share=float(shares[j]),
            performance=float(performance[j]),
            priority=priorities[j],
        )
        for j, (group, name) in enumerate(drivers)
    ]
    results.sort(key=lambda d: -d.weight)
    return EquityReport(
        r2=r2,
        n=n,
        drivers=results,
        method=chosen,
        outcome=outcome_name,
        scale=scale,
        constant=[drivers[j][1] for j in np.flatnonzero(~varies)],
    )
