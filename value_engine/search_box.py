"""The box the likelihood optimizers search in, and how to tell a fit that hit its edge.

Parameters are searched as logarithms within ±LOG_BOUND. A maximum found on the
edge is not an estimate: the likelihood wanted to go further, which is the data
saying that the model is the wrong one (or that there is too little data), so
callers report it instead of using the number as if it were fitted.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

LOG_BOUND = 12.0


def at_bound(
    names: tuple[str, ...], log_params: NDArray[np.float64], upper: float = LOG_BOUND
) -> tuple[str, ...]:
    """The parameters left on the edge of the box [−LOG_BOUND, upper]."""
    return tuple(
        n
        for n, v in zip(names, log_params, strict=True)
        if v < -LOG_BOUND + 1e-3 or v > upper - 1e-3
    )
