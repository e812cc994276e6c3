"""The box the likelihood optimizers search in, how to tell a fit that hit its edge, and
whether it reached its maximum.

Parameters are searched as logarithms within ±LOG_BOUND. A maximum found on the
edge is not an estimate: the likelihood wanted to go further, which is the data
saying that the model is the wrong one (or that there is too little data), so
callers report it instead of using the number as if it were fitted.

Whether a fit converged is judged on the point it reached, not on the optimizer's
status: L-BFGS-B's own test is tighter than a sum of rounded terms can meet, and it
then stops "abnormally" at the maximum, on some data and CPUs and not on others.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import optimize

LOG_BOUND = 12.0


def minimize_in_box(
    fun: Callable[..., Any], start: NDArray[np.float64], jac: bool
) -> optimize.OptimizeResult:
    """Minimize a negative mean log-likelihood over parameters searched in ±LOG_BOUND (logs,
    or a logit for a probability), with the tolerances every fit here uses."""
    return optimize.minimize(
        fun,
        start,
        jac=jac,
        method="L-BFGS-B",
        bounds=[(-LOG_BOUND, LOG_BOUND)] * start.size,
        options={"maxiter": 2000, "ftol": 1e-13, "gtol": 1e-9},
    )


def at_bound(
    names: tuple[str, ...], log_params: NDArray[np.float64], upper: float = LOG_BOUND
) -> tuple[str, ...]:
    """The parameters left on the edge of the box [−LOG_BOUND, upper]."""
    return tuple(
        n
        for n, v in zip(names, log_params, strict=True)
        if v < -LOG_BOUND + 1e-3 or v > upper - 1e-3
    )


# Largest slope of the total log-likelihood per unit of a log-parameter left at a maximum:
# moving a parameter by 1% there changes the log-likelihood by under 1e-5, and the
# rounding of sums of millions of terms stays orders of magnitude below it.
SETTLED_SLOPE = 1e-3
_ON_EDGE = 1e-9


def settled(
    result: optimize.OptimizeResult,
    total: float,
    lower: NDArray[np.float64] | float = -LOG_BOUND,
    upper: NDArray[np.float64] | float = LOG_BOUND,
) -> bool:
    """Whether a minimization of a mean negative log-likelihood over `total` customers
    reached its minimum in the box: the optimizer says so, or the gradient it stopped
    at is nil except where it pushes out of the box at a bound (`at_bound` reports
    those)."""
    if result.success:
        return True
    x = np.asarray(result.x, dtype=np.float64)
    grad = np.asarray(result.jac, dtype=np.float64) * total
    if grad.shape != x.shape or not np.all(np.isfinite(grad)):
        return False
    out_below = (x <= np.asarray(lower) + _ON_EDGE) & (grad > 0)
    out_above = (x >= np.asarray(upper) - _ON_EDGE) & (grad < 0)
    free = np.where(out_below | out_above, 0.0, grad)
    return bool(np.max(np.abs(free), initial=0.0) < SETTLED_SLOPE)
