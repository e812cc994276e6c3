"""The fits' sufficient statistics: customers with the same summary become one row with
a count.

BG/NBD's likelihood depends on a customer only through (x, t_x, T) and Gamma-Gamma's
through (x, m); customers who share them add identical terms. So each distinct tuple is
needed once, weighted by how many customers have it, and the fit's cost follows the number
of groups, not of customers. The groups are bounded by the distinct days in the data:
1,000,000 simulated customers over three years, recorded by the day, fall into 559,000
purchase groups, 3,000,000 into 1,363,000, and ever fewer per customer beyond. A warehouse
computes the same groups with one GROUP BY.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Groups:
    """Distinct rows of the given columns, in sorted order, and how many customers
    (or how much weight) each stands for."""

    columns: tuple[FloatArray, ...]
    count: FloatArray

    @property
    def size(self) -> int:
        return int(self.count.size)


def group(*columns: ArrayLike, weights: ArrayLike | None = None) -> Groups:
    """Group identical rows; NaN compares unequal to itself, so callers check first."""
    arrays = [np.asarray(c, dtype=np.float64).ravel() for c in columns]
    n = arrays[0].size
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=np.float64).ravel()
    if n == 0:
        return Groups(tuple(a.copy() for a in arrays), w.copy())
    order = np.lexsort(arrays[::-1])  # the first column is the primary key
    sorted_cols = [a[order] for a in arrays]
    change = np.zeros(n, dtype=bool)
    change[0] = True
    for col in sorted_cols:
        change[1:] |= col[1:] != col[:-1]
    starts = np.flatnonzero(change)
    counts = np.add.reduceat(w[order], starts)
    return Groups(tuple(col[starts] for col in sorted_cols), counts)


def group_pairs(whole: ArrayLike, other: ArrayLike, weights: ArrayLike) -> Groups:
    """`group` for two columns of which the first holds whole numbers >= 0 (purchase
    counts, checked by the fit before): a sort of the second column and one of an integer
    key take half the time of lexsort's. Same groups, same order."""
    x = np.asarray(whole, dtype=np.float64).ravel()
    values, codes = np.unique(np.asarray(other, dtype=np.float64).ravel(), return_inverse=True)
    if x.size == 0 or np.isnan(values).any():
        return group(x, other, weights=weights)
    key = x.astype(np.int64) * np.int64(values.size) + codes.ravel()
    keys, inverse = np.unique(key, return_inverse=True)
    count = np.bincount(inverse.ravel(), weights=np.asarray(weights, dtype=np.float64).ravel())
    return Groups(
        ((keys // values.size).astype(np.float64), values[keys % values.size]),
        count.astype(np.float64),
    )


def distinct_values(values: NDArray[np.float64]) -> tuple[FloatArray, NDArray[np.intp]]:
    """np.unique(values, return_inverse=True); purchase counts (whole numbers below ten
    million) are counted instead of sorted, twenty times faster on millions of rows."""
    if (
        values.size
        and values.min() >= 0
        and values.max() < 1e7
        and np.all(values == np.floor(values))
    ):
        whole = values.astype(np.intp)
        seen = np.bincount(whole)
        present = np.flatnonzero(seen)
        position = np.zeros(seen.size, dtype=np.intp)
        position[present] = np.arange(present.size)
        return present.astype(np.float64), position[whole]
    found, index = np.unique(values, return_inverse=True)
    return np.asarray(found, dtype=np.float64), np.asarray(index, dtype=np.intp).ravel()

