"""Key-driver analysis of customer equity: how much of the outcome each driver explains.

A regression's coefficients cannot answer "which driver matters most" when drivers are
correlated (they always are in surveys). The R² is instead shared out among the drivers:
exactly, by the Shapley value of each driver over all subsets of drivers (Lipovetsky &
Conklin 2001), or, when there are too many drivers for 2^p regressions, by Johnson's
relative weights (Johnson 2000, Multivariate Behavioral Research 35(1)), which approximate
it closely. Either way the weights add up to the model's R². Both work on the correlation
matrix alone, so the cost does not grow with the number of respondents beyond one pass.

Shares of R² have no sign: a driver that lowers the outcome weighs as much as one that
raises it. Each driver's direction is therefore the sign of its standardized coefficient
in the full model (its effect with the other drivers held constant), tested with a t-test;
a driver whose effect is significantly negative is reported as hurting and is never put
in "keep up" or "fix first". Before any driver is ranked for action the model must pass
the guardrails (value_engine.survey.guardrails): enough respondents for the number of
drivers (Green 1991) and a significant F-test. Bootstrap 95% intervals (resampling
respondents, value_engine.survey.bootstrap) show how firm each weight and share is.
"""

from __future__ import annotations

from math import factorial

import numpy as np
from scipy import linalg, stats

from value_engine.blas import one_blas_thread
from value_engine.survey import bootstrap, guardrails
from value_engine.survey.models import (
    EQUITY_GROUPS,
    DriverWeight,
    Effect,
    EquityReport,
    Priority,
    Scale,
    SurveyError,
)

EXACT_UP_TO = 14  # drivers; 2^14 subset regressions take about a second
MIN_RESPONDENTS_PER_DRIVER = 2  # below this nothing can be computed at all
# Subset regressions the bootstrap may spend on exact Shapley weights (2^9 subsets x 1,000
# resamples, about half a second); beyond, the resamples use Johnson's relative weights,
# which agree with the Shapley weights within 0.01 (tests/test_survey_engine.py).
BOOTSTRAP_SHAPLEY_BUDGET = (1 << 9) * 1000
SHOWN_OFF_SCALE = 5  # respondents named when outcomes are off the scale


def _correlations(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(driver-driver correlation matrix, driver-outcome correlations)."""
    data = np.column_stack([x, y]).astype(np.float64)
    data -= data.mean(axis=0)
    data /= np.where(np.abs(data).max(axis=0) > 0, np.abs(data).max(axis=0), 1.0)
    scale = np.sqrt((data**2).sum(axis=0))  # scaled first: 1e308 must not overflow
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


def _priorities(
    shares: np.ndarray, performance: np.ndarray, effects: list[Effect], significant: bool
) -> list[Priority]:
    """Importance × performance quadrants, centred on the averages over the drivers, for
    drivers that help beyond chance in a model that passes the guardrails."""
    important = shares >= 1.0 / shares.size
    good = performance >= performance.mean()
    found = []
    for i, g, effect in zip(important, good, effects, strict=True):
        if not significant or effect is Effect.UNCLEAR:
            found.append(Priority.UNCLEAR)
        elif effect is Effect.HURTS:
            found.append(Priority.HURTS)
        elif i:
            found.append(Priority.KEEP_UP if g else Priority.FIX_FIRST)
        else:
            found.append(Priority.OVERKILL if g else Priority.LOW_PRIORITY)
    return found


def _check_outcome(y: np.ndarray, scale: Scale, labels: list[str] | None) -> None:
    """An intention outcome is a rating: off the scale is a typo, and one typo of 99 on a
    1-5 scale can swing R² from 62% to 2%, so it is refused with the respondents named."""
    off = np.flatnonzero((y < scale.low) | (y > scale.high))
    if off.size == 0:
        return
    named = [f"{labels[i] if labels else f'#{i + 1}'} ({y[i]:g})" for i in off[:SHOWN_OFF_SCALE]]
    more = off.size - len(named)
    raise SurveyError(
        "outcome_off_scale",
        rows=", ".join(named) + (f" (+{more})" if more else ""),
        low=scale.low,
        high=scale.high,
    )


def _coefficients(
    rxx: np.ndarray, rxy: np.ndarray, r2: float, n: int
) -> tuple[np.ndarray, np.ndarray]:
    """Standardized coefficients and their two-sided t-test p-values (Holm-adjusted).
    A driver that duplicates others (a singular correlation matrix) has no identifiable
    coefficient: p = 1."""
    k = rxy.size
    df = n - k - 1
    values, vectors = np.linalg.eigh(rxx)
    keep = values > 1e-10 * max(float(values.max()), 1e-300)
    inverse = (vectors[:, keep] / values[keep]) @ vectors[:, keep].T
    beta = inverse @ rxy
    p = np.ones(k)
    if df >= 1 and r2 < 1.0:
        se = np.sqrt(np.clip(np.diag(inverse), 0.0, None) * (1.0 - r2) / df)
        with np.errstate(divide="ignore", invalid="ignore"):
            t = np.where(se > 0, beta / se, 0.0)
        p = 2.0 * stats.t.sf(np.abs(t), df)
    elif r2 >= 1.0:
        p = np.where(np.abs(beta) > 1e-12, 0.0, 1.0)
    null = vectors[:, ~keep]
    if null.size:  # drivers in the null space cannot be told apart from others
        p[np.abs(null).max(axis=1) > 1e-6] = 1.0
    return beta, guardrails.holm(np.nan_to_num(p, nan=1.0))


def _resampled_correlations(
    x: np.ndarray, y: np.ndarray, resamples: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per bootstrap resample: (rxx, rxy, valid). Each resample's moments come from one
    matrix product over per-respondent cross products (bootstrap.resampled_means)."""
    data = np.column_stack([x, y]).astype(np.float64)
    data -= data.mean(axis=0)
    data /= np.where(data.std(axis=0) > 0, data.std(axis=0), 1.0)
    q = data.shape[1]
    rows, cols = np.triu_indices(q)
    columns = np.column_stack([data, data[:, rows] * data[:, cols]])
    means = bootstrap.resampled_means(columns, resamples)
    first = means[:, :q]
    second = np.empty((resamples, q, q))
    second[:, rows, cols] = means[:, q:]
    second[:, cols, rows] = means[:, q:]
    cov = second - first[:, :, None] * first[:, None, :]
    sd = np.sqrt(np.clip(np.einsum("bii->bi", cov), 0.0, None))
    valid = (sd > 1e-12).all(axis=1)
    sd[~valid] = 1.0
    corr = cov / sd[:, :, None] / sd[:, None, :]
    corr[~valid] = np.eye(q)
    return corr[:, : q - 1, : q - 1], corr[:, : q - 1, q - 1], valid


def _batched_relative_weights(rxx: np.ndarray, rxy: np.ndarray) -> np.ndarray:
    """Johnson's relative weights for a stack of correlation matrices, scaled to add up to
    each resample's R² (as the point estimate is)."""
    values, vectors = np.linalg.eigh(rxx)
    values = np.clip(values, 0.0, None)
    keep = values > 1e-10
    root = np.sqrt(values)
    lam = vectors @ (root[:, :, None] * np.swapaxes(vectors, 1, 2))
    projected = np.einsum("bji,bj->bi", vectors, rxy)
    inv_root = np.where(keep, 1.0 / np.where(keep, root, 1.0), 0.0)
    beta = np.einsum("bij,bj->bi", vectors, inv_root * projected)
    weights = np.einsum("bij,bj->bi", lam**2, beta**2)
    r2 = np.clip(
        (np.where(keep, 1.0 / np.where(keep, values, 1.0), 0.0) * projected**2).sum(1), 0, 1
    )
    total = weights.sum(axis=1)
    scale = np.where(total > 0, r2 / np.where(total > 0, total, 1.0), 0.0)
    scaled: np.ndarray = weights * scale[:, None]
    return scaled


def _batched_shapley(rxx: np.ndarray, rxy: np.ndarray) -> np.ndarray:
    """Exact Shapley weights for a stack of correlation matrices: each subset's regression
    solved for every resample at once (a tiny ridge keeps duplicated drivers solvable)."""
    b, p = rxy.shape
    r2 = np.zeros((b, 1 << p))
    ridge = 1e-9 * np.eye(p)
    for mask in range(1, 1 << p):
        members = [j for j in range(p) if mask >> j & 1]
        sub = rxx[:, members][:, :, members] + ridge[: len(members), : len(members)]
        v = rxy[:, members]
        beta = np.linalg.solve(sub, v[:, :, None])[:, :, 0]
        r2[:, mask] = np.clip((v * beta).sum(axis=1), 0.0, 1.0)
    masks = np.arange(1 << p)
    sizes = np.array([bin(m).count("1") for m in masks])
    coalition = np.array([factorial(s) * factorial(p - s - 1) / factorial(p) for s in range(p)])
    weights = np.empty((b, p))
    for j in range(p):
        without = masks[(masks >> j & 1) == 0]
        weights[:, j] = (r2[:, without | 1 << j] - r2[:, without]) @ coalition[sizes[without]]
    return weights


def resampled_weights(
    x: np.ndarray, y: np.ndarray, method: str, resamples: int = bootstrap.RESAMPLES
) -> tuple[np.ndarray, str]:
    """(resamples x drivers) bootstrap weights (NaN rows where a resample is degenerate)
    and the method used for them."""
    rxx, rxy, valid = _resampled_correlations(x, y, resamples)
    p = rxy.shape[1]
    if method == "shapley" and (1 << p) * resamples <= BOOTSTRAP_SHAPLEY_BUDGET:
        weights, used = _batched_shapley(rxx, rxy), "shapley"
    else:
        weights, used = _batched_relative_weights(rxx, rxy), "relative_weights"
    weights[~valid] = np.nan
    return weights, used


def _group_lead(groups: list[str], shares: np.ndarray, resampled: np.ndarray) -> str | None:
    """The heaviest group, if its share beats the runner-up's in 97.5% of resamples."""
    names = [g for g in EQUITY_GROUPS if g in groups] + sorted(set(groups) - set(EQUITY_GROUPS))
    if len(names) < 2:
        return None
    member = np.array([[g == name for g in groups] for name in names], dtype=np.float64)
    point = member @ shares
    order = np.argsort(-point, kind="stable")
    first, second = order[0], order[1]
    diff = resampled @ (member[first] - member[second])
    low, _ = bootstrap.interval(diff[:, None])
    return names[first] if np.isfinite(low[0]) and low[0] > 0 else None


def analyse(
    drivers: list[tuple[str, str]],
    ratings: np.ndarray,
    outcome: np.ndarray,
    scale: Scale,
    outcome_name: str = "intention",
    method: str | None = None,
    labels: list[str] | None = None,
    resamples: int = bootstrap.RESAMPLES,
) -> EquityReport:
    """`drivers` are (group, name) for the columns of `ratings` (respondents x drivers);
    `labels` name the respondents (rows) when an outcome is refused. One BLAS thread:
    the products here are thin (respondents x 13), where OpenBLAS threads cost more
    than they save, and far more on a busy machine (value_engine.blas)."""
    with one_blas_thread():
        return _analyse(drivers, ratings, outcome, scale, outcome_name, method, labels, resamples)


def _analyse(
    drivers: list[tuple[str, str]],
    ratings: np.ndarray,
    outcome: np.ndarray,
    scale: Scale,
    outcome_name: str,
    method: str | None,
    labels: list[str] | None,
    resamples: int,
) -> EquityReport:
    x = np.asarray(ratings, dtype=np.float64)
    y = np.asarray(outcome, dtype=np.float64)
    n, p = x.shape
    if p == 0:
        raise SurveyError("no_drivers")
    need = max(10, MIN_RESPONDENTS_PER_DRIVER * p + 2)
    if n < need:
        raise SurveyError("too_few_respondents", n=n, need=need)
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise SurveyError("not_finite")
    if outcome_name == "intention":
        _check_outcome(y, scale, labels)
    if not np.isfinite(y.mean()):
        raise SurveyError("not_finite")
    if np.ptp(y) == 0:
        raise SurveyError("constant_outcome")
    varies = np.ptp(x, axis=0) > 0
    used = np.flatnonzero(varies)
    k = int(used.size)
    weights = np.zeros(p)
    beta = np.zeros(p)
    p_values = np.ones(p)
    boot = np.full((resamples, p), np.nan)
    chosen = method or ("shapley" if k <= EXACT_UP_TO else "relative_weights")
    interval_method = chosen
    if k:
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
        model_r2 = min(max(float(weights.sum()), 0.0), 1.0)
        beta[used], p_values[used] = _coefficients(rxx, rxy, model_r2, n)
        if resamples:
            boot[:, used], interval_method = resampled_weights(x[:, used], y, chosen, resamples)
    # Shapley values add up to R² by construction (and may be slightly negative for a
    # suppressor driver); they are reported as they are.
    r2 = max(float(weights.sum()), 0.0)
    shares = weights / r2 if r2 > 0 else np.zeros(p)
    # A driver everyone rated the same has no weight in any resample (NaN: no interval);
    # it must not take the other drivers' intervals with it.
    with np.errstate(invalid="ignore", divide="ignore"):
        totals = np.nansum(boot, axis=1, keepdims=True)
        boot_shares = np.where(totals > 0, boot / totals, np.nan)
    weight_low, weight_high = bootstrap.interval(boot)
    share_low, share_high = bootstrap.interval(boot_shares)
    f_p = guardrails.f_test(r2, n, k)
    needed = guardrails.regression_needed(max(k, 1))
    significant = n >= needed and f_p < guardrails.ALPHA
    effects = [
        Effect.UNCLEAR
        if p_values[j] >= guardrails.ALPHA
        else Effect.HELPS
        if beta[j] > 0
        else Effect.HURTS
        for j in range(p)
    ]
    performance = x.mean(axis=0)
    priorities = _priorities(shares, performance, effects, significant)
    adj = guardrails.adjusted_r2(r2, n, k)
    results = [
        DriverWeight(
            driver=name,
            group=group,
            weight=float(weights[j]),
            share=float(shares[j]),
            performance=float(performance[j]),
            priority=priorities[j],
            beta=float(beta[j]),
            p_value=float(p_values[j]),
            effect=effects[j],
            weight_low=float(weight_low[j]),
            weight_high=float(weight_high[j]),
            share_low=float(share_low[j]),
            share_high=float(share_high[j]),
        )
        for j, (group, name) in enumerate(drivers)
    ]
    results.sort(key=lambda d: -d.weight)
    lead_shares = boot_shares.copy()
    lead_shares[:, ~varies] = 0.0  # a constant driver weighs nothing in its group
    lead = _group_lead([g for g, _ in drivers], shares, lead_shares) if significant else None
    return EquityReport(
        r2=r2,
        n=n,
        drivers=results,
        method=chosen,
        outcome=outcome_name,
        scale=scale,
        constant=[drivers[j][1] for j in np.flatnonzero(~varies)],
        adj_r2=adj if np.isfinite(adj) else -1.0,
        f_p_value=f_p,
        needed=needed,
        needed_for_f=guardrails.needed_for_f(adj, k) if np.isfinite(adj) else None,
        group_lead=lead,
        resamples=resamples,
        interval_method=interval_method,
    )
