"""The purchase model's parameters from a fit of one of its limits.

The limits (NBD, a common dropout, a split dropout) are fitted on log r, log alpha and,
where they have one, logit p; all are read back the same way, so both limit modules use
this one reader rather than each keeping a copy.
"""

from __future__ import annotations

import numpy as np
from scipy import optimize, special

from value_engine.models import BgNbdParams, PurchaseModel
from value_engine.search_box import at_bound, settled


def limit_params(
    result: optimize.OptimizeResult, total: float, kind: PurchaseModel, names: tuple[str, ...]
) -> BgNbdParams:
    """`names` lists the fitted parameters in order; "p", when present, is the third."""
    r, alpha = (float(v) for v in np.exp(result.x[:2]))
    return BgNbdParams(
        r=r,
        alpha=alpha,
        a=0.0,
        b=0.0,
        loglik=-float(result.fun) * total,
        customers=round(total),
        converged=settled(result, total),
        kind=kind,
        at_bound=at_bound(names, result.x),
        p=float(special.expit(result.x[2])) if "p" in names else 0.0,
    )
