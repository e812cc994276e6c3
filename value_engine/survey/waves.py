"""The trend between survey waves: each wave's headline mean and its change from the wave
before, with Welch's t-test (the waves need not have the same size or spread, and a
respondent may answer several waves, which the test ignores: a conservative reading for
panels, exact for fresh samples).

The headline is the mean of the respondents' own numbers: delivered value Vc for the
delivered-value survey, the outcome (e.g. repurchase intention) for the equity survey.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

SIGNIFICANT = 0.05


@dataclass(frozen=True, slots=True)
class WaveRow:
    wave: str
    n: int
    mean: float | None  # None: no headline number (Kano), or no respondent
    change: float | None = None  # mean minus the previous wave's mean
    p_value: float | None = None  # Welch's t-test against the previous wave

    @property
    def significant(self) -> bool:
        return self.p_value is not None and self.p_value < SIGNIFICANT


def _welch(before: np.ndarray, after: np.ndarray) -> float | None:
    if before.size < 2 or after.size < 2:
        return None
    if np.ptp(before) == 0 and np.ptp(after) == 0:
        return None if before[0] != after[0] else 1.0
    p = float(stats.ttest_ind(after, before, equal_var=False).pvalue)
    return p if np.isfinite(p) else None


def trend(waves: list[tuple[str, np.ndarray | None, int]]) -> list[WaveRow]:
    """`waves`: (name, the respondents' numbers or None, respondents), oldest first."""
    rows: list[WaveRow] = []
    previous: np.ndarray | None = None
    for name, values, n in waves:
        clean = None if values is None else values[np.isfinite(values)]
        mean = None if clean is None or clean.size == 0 else float(clean.mean())
        change = p = None
        if clean is not None and previous is not None and mean is not None and previous.size:
            change = mean - float(previous.mean())
            p = _welch(previous, clean)
        rows.append(WaveRow(name, n, mean, change, p))
        previous = clean
    return rows
