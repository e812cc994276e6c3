"""Which purchase and spend models a company's data support, and how far to trust them.

Plausible data can sit outside what BG/NBD and Gamma-Gamma can estimate: when no
customer has visibly stopped buying, the likelihood is highest at "nobody ever
drops out", which BG/NBD reaches only in a limit, and when customers do not
differ in their dropout, only at a or b infinite; when few customers bought
twice, or their spend levels do not differ, the spread of spend between
customers cannot be estimated; and small data can have dropout look all or nothing
(a and b both towards 0). The theory has an answer for each (the NBD model, one
dropout probability for all, leavers and stayers, the average spend), and the fit
says which it used, so a manager is told instead of being shown numbers made at an
optimizer's bound. Where the likelihood is nearly flat on the way to a limit, the
choice is made by the likelihood ratio to that limit, never by where the optimizer
happened to stop, which rounding decides and so differs between CPUs.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from numpy.typing import ArrayLike

from value_engine.bgnbd import fit_bgnbd
from value_engine.dropout_limits import fit_common_dropout, fit_nbd
from value_engine.dropout_split import fit_dropout_split
from value_engine.gamma_gamma import fit_gamma_gamma
from value_engine.models import (
    BgNbdParams,
    FitNote,
    FitQuality,
    GammaGammaParams,
    PurchaseModel,
    SpendModel,
)
from value_engine.spend_limits import fit_common_spend
from value_engine.sufficient import codes_kept, group

# BG/NBD adds two parameters (a, b) to NBD. Unless they raise twice the log-likelihood
# by χ²(2)'s 95% point, the data show no dropout and the simpler model stands.
NO_DROPOUT_LR = 5.99
# a + b beyond this: the spread of dropout probabilities is under half a percentage point,
# and BG/NBD's own formulas lose their digits (tests/test_value_degenerate.py).
COLLAPSED_AB = 1e4
# a + b below this, both under 1: Beta(a, b) keeps under 3% of customers between dropout
# probabilities 1% and 99%; the rest drop out at once or never (`dropout_split`).
SPLIT_AB = 1e-2
MIN_REPEAT_BUYERS = 30  # below this, Gamma-Gamma's three parameters are a guess
# Gamma-Gamma adds q (the spread of spend levels between customers) to its limit at q = ∞.
# Unless it raises twice the log-likelihood by χ²(1)'s 95% point, customers' spend does not
# differ beyond chance and the average spend stands (`spend_limits`).
SPEND_ALIKE_LR = 3.84
RATES_ALIKE_R = 1e4  # Gamma(r, α) rates then vary by under 1% (their CV is 1/√r)
HOLDOUT_TOLERANCE = 0.25  # a model off by more than this on the holdout is not trusted
HOLDOUT_MIN_PURCHASES = 30  # fewer holdout purchases say nothing either way


def fit_purchase_model(
    frequency: ArrayLike,
    recency: ArrayLike,
    age: ArrayLike,
    weights: ArrayLike | None = None,
    distinct: bool = False,
) -> BgNbdParams:
    """BG/NBD; NBD when the data give no evidence that anyone dropped out; one dropout
    probability for all when BG/NBD's spread of dropout collapses, leavers and stayers
    when it splits onto 0 and 1 (see `dropout_limits`).

    Every model is fitted on the distinct (x, t_x, T) with their counts (`sufficient`);
    `distinct`: the rows already are (an engine's GROUP BY), so they are not sorted again."""
    if distinct:
        frequency, recency, age = (
            np.asarray(a, dtype=np.float64) for a in (frequency, recency, age)
        )
        weights = np.ones_like(frequency) if weights is None else np.asarray(weights, np.float64)
    else:
        groups = group(frequency, recency, age, weights=weights)
        frequency, recency, age = groups.columns
        weights = groups.count
    with codes_kept():  # BG/NBD and NBD number the same ages and counts
        bgnbd = _rates_alike(fit_bgnbd(frequency, recency, age, weights))
        nbd = _rates_alike(fit_nbd(frequency, age, weights))  # folds by x and by T
    if 2.0 * (bgnbd.loglik - nbd.loglik) < NO_DROPOUT_LR:
        return nbd
    running_off = {"a", "b"} & set(bgnbd.at_bound) or bgnbd.a + bgnbd.b > COLLAPSED_AB
    if running_off and bgnbd.a > 1 and bgnbd.b > 1:
        # a and b running off together at a steady ratio: Beta(a, b) has collapsed onto
        # p = a/(a+b), the same dropout probability for every customer. The likelihood is
        # nearly flat along that ridge, so where the optimizer stops on it, at the box's
        # edge or short of it, is an accident of rounding; either way is the limit.
        common = _rates_alike(
            fit_common_dropout(frequency, recency, age, weights, bgnbd.a / (bgnbd.a + bgnbd.b))
        )
        if common.loglik >= bgnbd.loglik - 1e-6 * abs(bgnbd.loglik):
            return common
    splitting = {"a", "b"} & set(bgnbd.at_bound) or bgnbd.a + bgnbd.b < SPLIT_AB
    if splitting and bgnbd.a < 1 and bgnbd.b < 1:
        # a and b running to 0 together at a steady ratio: Beta(a, b) has split onto
        # p = 1 for a share a/(a+b) of customers and p = 0 for the others, where BG/NBD's
        # own formulas lose their digits (small data, tests/test_value_limits.py).
        split = _rates_alike(fit_dropout_split(frequency, recency, age, weights, start=bgnbd))
        if split.loglik >= bgnbd.loglik - 1e-6 * abs(bgnbd.loglik):
            return split
    return bgnbd


def _rates_alike(params: BgNbdParams) -> BgNbdParams:
    """r and α running off together are the Poisson limit (every customer buys at the
    same rate r/α): whichever of them reaches the box's edge first, predictions depend on
    r/α alone and are right, so it is not a failure. α runs off first when customers buy
    less than once a time unit (r/α < 1)."""
    if params.r < RATES_ALIKE_R:
        return params
    ran_off = ("r", "alpha") if params.alpha > 1 else ("r",)
    return replace(params, at_bound=tuple(n for n in params.at_bound if n not in ran_off))


def fit_spend_model(
    frequency: ArrayLike,
    monetary: ArrayLike,
    weights: ArrayLike | None = None,
    fallback_mean: float = 0.0,
    distinct: bool = False,
) -> GammaGammaParams:
    """Gamma-Gamma on repeat buyers, or the average spend per repeat purchase.

    `fallback_mean` is the average spend to use when nobody bought twice (the
    summary's monetary value counts repeat purchases only); `distinct`: the (x, m) rows
    are already distinct (an engine's GROUP BY).
    """
    x = np.asarray(frequency, dtype=np.float64)
    m = np.asarray(monetary, dtype=np.float64)
    w = np.ones_like(x) if weights is None else np.asarray(weights, dtype=np.float64)
    if not np.isfinite(m).all() or np.any(m < 0):
        raise ValueError("monetary values must be finite numbers >= 0")
    repeat = (x > 0) & (m > 0)
    if not repeat.all():
        x, m, w = x[repeat], m[repeat], w[repeat]
    wx = w * x
    purchases = float(wx.sum())
    mean = float(wx @ m) / purchases if purchases else fallback_mean
    buyers = round(float(w.sum()))

    def average(why: FitNote, loglik: float = float("nan")) -> GammaGammaParams:
        return GammaGammaParams(
            p=0.0,
            q=0.0,
            v=0.0,
            loglik=loglik,
            customers=buyers,
            kind=SpendModel.AVERAGE,
            mean_spend=mean,
            why_average=why.value,
        )

    if buyers < MIN_REPEAT_BUYERS:
        return average(FitNote.FEW_REPEAT_BUYERS)
    if not distinct:
        groups = group(x, m, weights=w)  # the distinct (x, m) once each
        (x, m), w = groups.columns, groups.count
    limit = fit_common_spend(x, m, w)
    if float(m.min()) == float(m.max()):  # nothing to fit a spread to, within or between
        return average(FitNote.SPEND_ALIKE, limit.loglik)
    fitted = fit_gamma_gamma(x, m, w)
    # q → ∞ with v/q fixed is every customer's spend level the same, and Gamma-Gamma's
    # expected spend tends to the average. The likelihood is nearly flat on the way, so
    # where the optimizer stops (at q's bound or short of it, "converged" or not) is
    # rounding; the likelihood ratio to the limit is not.
    spread = 2.0 * (fitted.loglik - limit.loglik)
    running_off = "q" in fitted.at_bound and fitted.q > 1
    if (np.isfinite(spread) and spread < SPEND_ALIKE_LR) or running_off:
        return average(FitNote.SPEND_ALIKE, limit.loglik)
    if fitted.q <= 1 or not np.isfinite(fitted.loglik):
        # q ≤ 1: spend so heavy-tailed that the population's mean does not exist.
        return average(FitNote.SPEND_HEAVY_TAILED)
    return fitted


def assess(
    bgnbd: BgNbdParams,
    spend: GammaGammaParams | None,
    holdout_days: int | None = None,
    holdout_predicted: float | None = None,
    holdout_actual: int | None = None,
) -> FitQuality:
    """The notes a manager must read with the numbers; the holdout figures come from
    `holdout.backtest` (or a calibration run) when there was history to hold back."""
    notes: list[FitNote] = []
    if bgnbd.kind is PurchaseModel.NBD:
        notes.append(FitNote.NO_DROPOUT)
    if bgnbd.kind is PurchaseModel.COMMON_DROPOUT:
        notes.append(FitNote.DROPOUT_ALIKE)
    if bgnbd.kind is PurchaseModel.DROPOUT_SPLIT:
        notes.append(FitNote.DROPOUT_SPLIT)
    if spend is not None and spend.kind is SpendModel.AVERAGE:
        notes.append(FitNote(spend.why_average or FitNote.FEW_REPEAT_BUYERS.value))
    gamma_gamma = spend if spend is not None and spend.kind is SpendModel.GAMMA_GAMMA else None
    if not bgnbd.converged or (gamma_gamma and not gamma_gamma.converged):
        notes.append(FitNote.NOT_CONVERGED)
    if bgnbd.at_bound or (gamma_gamma and gamma_gamma.at_bound):
        notes.append(FitNote.AT_BOUND)
    quality = FitQuality(
        notes=tuple(notes),
        holdout_days=holdout_days,
        holdout_predicted=holdout_predicted,
        holdout_actual=holdout_actual,
    )
    error = quality.holdout_error
    if (
        error is not None
        and (holdout_actual or 0) >= HOLDOUT_MIN_PURCHASES
        and abs(error) > HOLDOUT_TOLERANCE
    ):
        quality = FitQuality(
            notes=(*notes, FitNote.HOLDOUT_OFF),
            holdout_days=holdout_days,
            holdout_predicted=holdout_predicted,
            holdout_actual=holdout_actual,
        )
    return quality
