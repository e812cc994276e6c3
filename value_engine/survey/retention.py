"""Does perceived value predict retention? Delivered value against the purchase models.

For respondents who are customers, each one's delivered value is set against what the
BG/NBD and Gamma-Gamma fit says about them: P(alive), CLV and churn risk. Rank
correlation (Spearman) because ratings are ordinal and CLV is heavily skewed; the
quintile table shows the same in numbers a manager reads at a glance.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from value_engine.survey.models import QuintileRow, RetentionLink

MIN_LINKED = 10  # fewer customers than this say nothing about the link


def _spearman(x: np.ndarray, y: np.ndarray) -> tuple[float | None, float | None]:
    if np.ptp(x) == 0 or np.ptp(y) == 0:
        return None, None
    result = stats.spearmanr(x, y)
    rho, p = float(result.statistic), float(result.pvalue)
    if not (np.isfinite(rho) and np.isfinite(p)):
        return None, None
    return rho, p


def link(
    delivered: np.ndarray, p_alive: np.ndarray, clv: np.ndarray, at_risk: np.ndarray
) -> RetentionLink | None:
    """None when too few respondents are known customers."""
    n = int(delivered.size)
    if n < MIN_LINKED:
        return None
    rho_alive, p_alive_p = _spearman(delivered, p_alive)
    rho_clv, p_clv = _spearman(delivered, clv)
    groups = min(5, n // 2)
    order = np.argsort(delivered, kind="stable")
    rows = [
        QuintileRow(
            quintile=q + 1,
            n=int(part.size),
            delivered=float(delivered[part].mean()),
            p_alive=float(p_alive[part].mean()),
            clv=float(clv[part].mean()),
            at_risk=float(at_risk[part].mean()),
        )
        for q, part in enumerate(np.array_split(order, groups))
    ]
    return RetentionLink(
        n=n,
        rho_p_alive=rho_alive,
        p_value_p_alive=p_alive_p,
        rho_clv=rho_clv,
        p_value_clv=p_clv,
        quintiles=rows,
    )
