"""Seeded bootstrap over respondents, vectorised for 100,000 respondents.

Every statistic the survey analyses report (correlations, mean ratings, Kano counts) is a
function of column means over respondents. A bootstrap resample draws n respondents with
replacement, i.e. gives respondent i a count c_i (multinomial, summing to n); the
resample's column sums are then c @ columns. Drawing the counts for a block of resamples
and multiplying once is a matrix product instead of 1,000 passes over the data, which is
what makes 1,000 resamples of 100,000 respondents a matter of seconds (bench/survey.py).

The products run with one BLAS thread: a matrix of 40 resamples x 100,000 respondents is
done in 30 ms by one core, while two BLAS threads on a machine whose two cores are busy
with other work spin against each other and take ten to thirty times longer (measured
with bench/survey.py on the shared 2-core machine).

The seed is fixed so the same answers always give the same intervals: a manager who asks
twice must not get two different answers.
"""

from __future__ import annotations

import warnings

import numpy as np

from value_engine.blas import one_blas_thread

RESAMPLES = 1000  # Efron & Tibshirani (1993): about 1,000 for percentile intervals
SEED = 25
LEVEL = 0.95
BLOCK_CELLS = 4_000_000  # resamples x respondents drawn at once (about 64 MB)


def resampled_means(
    columns: np.ndarray, resamples: int = RESAMPLES, seed: int = SEED
) -> np.ndarray:
    """(resamples, k) means of the k columns of `columns` (n x k) over bootstrap resamples
    of its rows; the rows are the respondents."""
    data = np.asarray(columns, dtype=np.float64)
    n = data.shape[0]
    if n == 0:
        return np.zeros((resamples, data.shape[1]))
    rng = np.random.default_rng(seed)
    block = max(1, min(resamples, BLOCK_CELLS // n))
    out = np.empty((resamples, data.shape[1]))
    with one_blas_thread():
        for start in range(0, resamples, block):
            size = min(block, resamples - start)
            picks = rng.integers(0, n, size=(size, n))
            picks += np.arange(size)[:, None] * n
            counts = np.bincount(picks.ravel(), minlength=size * n).reshape(size, n)
            out[start : start + size] = counts.astype(np.float64) @ data
    out /= n
    return out


def interval(samples: np.ndarray, level: float = LEVEL) -> tuple[np.ndarray, np.ndarray]:
    """Percentile interval of each column of `samples` (resamples x k); NaN resamples (a
    resample where the statistic is undefined) are left out."""
    tail = (1.0 - level) / 2 * 100
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an all-NaN column: NaN bounds
        low, high = np.nanpercentile(samples, [tail, 100 - tail], axis=0)
    return np.asarray(low), np.asarray(high)
