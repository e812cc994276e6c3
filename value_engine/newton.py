"""Newton steps on all the data with the curvature of a sample.

A fit of millions of rows starts from the optimum of 5% of them. L-BFGS-B started
there still spends a dozen evaluations of all the rows rebuilding the curvature it
discards between runs (14 evaluations of BG/NBD's 4.4 million groups at 10 million
customers, two thirds of the fit). The mean log-likelihood of a large sample has nearly the same
second derivatives as the whole data's, so the sample's Hessian (central differences of
its analytic gradient: eight sample evaluations, less than half of one on all the rows)
serves for Newton steps on all of them, one evaluation each, converging by a factor of
the two Hessians' difference a step, faster as each step's change of gradient corrects
the sample's curvature (a BFGS update). L-BFGS-B then confirms the optimum with its usual
tolerances, from the step's remembered value, usually at once: the fitted parameters
meet the same test as before.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress

import numpy as np
from numpy.typing import NDArray
from scipy import linalg

FloatArray = NDArray[np.float64]
Objective = Callable[[FloatArray], tuple[float, FloatArray]]

WARM_START_ABOVE = 200_000  # rows; a fit of more starts from 5% of them
STRIDE = 20  # the sample: every twentieth row (5%), with the heavy rows whole
STEP = 1e-4  # central differences of the gradient, in log-parameters
MAX_STEPS = 6
SETTLED = 5e-10  # largest gradient component left: half the optimizer's own test
ROUNDING = 1e-12  # relative: a sum of millions of terms is not exact to better


def sample(weights: FloatArray) -> tuple[NDArray[np.intp], FloatArray]:
    """The rows of the sample and their weights in it.

    Grouped data put a large share of the customers in a few rows (the one-time buyers
    of a given age: a thousand rows, a tenth of ten million customers). Every twentieth
    row alone takes a twentieth of those, and its optimum sits far from the whole data's.
    So the rows that stand for STRIDE customers or more are all taken, as they are, and
    every twentieth of the others stands for twenty: the sample's sums estimate the
    whole's without bias, its optimum is ten to twenty times closer, and Newton needs a
    step fewer. Every twentieth row, not a random draw: spread over the data whatever
    its order, and the same fit on every run."""
    heavy = weights >= STRIDE
    light = np.flatnonzero(~heavy)[::STRIDE]
    # Disjoint, so sorting suffices (np.union1d's unique is ten times slower); in order,
    # the gathers read memory forwards.
    rows = np.sort(np.concatenate([np.flatnonzero(heavy), light]))
    sampled = weights[rows] * np.where(heavy[rows], 1.0, float(STRIDE))
    return rows, sampled


def remembered(objective: Objective) -> Objective:
    """The objective with its last point's value kept: the optimizer's first evaluation
    is the last Newton step's."""
    last: list[tuple[bytes, tuple[float, FloatArray]]] = []

    def evaluate(point: FloatArray) -> tuple[float, FloatArray]:
        key = np.asarray(point, dtype=np.float64).tobytes()
        if last and last[0][0] == key:
            value, grad = last[0][1]
            return value, grad.copy()
        result = objective(point)
        last[:] = [(key, (result[0], result[1].copy()))]
        return result

    return evaluate


def newton_from_sample(
    whole: Objective, sample: Objective, start: FloatArray, lower: FloatArray, upper: FloatArray
) -> FloatArray:
    """The point after Newton steps on `whole` with `sample`'s Hessian at `start`; `start`
    itself when that Hessian is not positive definite (a parameter at its bound) or no
    step improves. Steps stay inside [lower, upper]."""
    try:
        hessian = _hessian(sample, start)
        factor = linalg.cho_factor(hessian)
    except (linalg.LinAlgError, ValueError):
        return start
    point = np.asarray(start, dtype=np.float64)
    value, grad = whole(point)
    for _ in range(MAX_STEPS):
        if not np.all(np.isfinite(grad)) or np.max(np.abs(grad)) < SETTLED:
            break
        trial = point - linalg.cho_solve(factor, grad)
        if np.any(trial < lower) or np.any(trial > upper):
            break
        trial_value, trial_grad = whole(trial)
        # Near the optimum the value changes by less than its rounding: the gradient
        # says whether the step helped.
        if not (
            trial_value <= value + ROUNDING * abs(value)
            and np.max(np.abs(trial_grad)) < np.max(np.abs(grad))
        ):  # also false for NaN
            break
        # The whole data's own curvature along the step corrects the sample's (BFGS).
        moved, change = trial - point, trial_grad - grad
        if moved @ change > 0:
            along = hessian @ moved
            updated = (
                hessian
                - np.outer(along, along) / (moved @ along)
                + np.outer(change, change) / (moved @ change)
            )
            with suppress(linalg.LinAlgError):  # not positive definite: keep the last
                factor, hessian = linalg.cho_factor(updated), updated
        point, value, grad = trial, trial_value, trial_grad
    return point


def _hessian(objective: Objective, point: FloatArray) -> FloatArray:
    size = point.size
    hessian = np.empty((size, size))
    for i in range(size):
        shift = np.zeros(size)
        shift[i] = STEP
        hessian[:, i] = (objective(point + shift)[1] - objective(point - shift)[1]) / (2 * STEP)
    hessian = (hessian + hessian.T) / 2
    if not np.all(np.isfinite(hessian)):
        raise ValueError("the sample's curvature is not finite")
    return hessian
