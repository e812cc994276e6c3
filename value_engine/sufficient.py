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

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from value_engine.blocks import by_block

FloatArray = NDArray[np.float64]
DENSE_KEYS = 1 << 22  # group keys counted in an array up to this many possible keys


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
    coded = _by_codes(arrays, w)
    if coded is not None:
        return coded
    order = np.lexsort(arrays[::-1])  # the first column is the primary key
    sorted_cols = [a[order] for a in arrays]
    change = np.zeros(n, dtype=bool)
    change[0] = True
    for col in sorted_cols:
        change[1:] |= col[1:] != col[:-1]
    starts = np.flatnonzero(change)
    counts = np.add.reduceat(w[order], starts)
    return Groups(tuple(col[starts] for col in sorted_cols), counts)


def _by_codes(arrays: list[FloatArray], weights: FloatArray) -> Groups | None:
    """`group` through one integer key: each column's distinct values numbered, the numbers
    combined most significant first (so the order is lexsort's), then one sort of
    integers; three to five times faster than sorting the rows of floats. None when the
    key would not fit in 63 bits."""
    values, codes = [], []
    span = 1
    for column in arrays:
        distinct, index = distinct_values(column)
        if np.isnan(distinct).any():
            return None
        span *= int(distinct.size)
        if span >= 1 << 62:
            return None
        values.append(distinct)
        codes.append(index.astype(np.int64))
    key = codes[0]
    for distinct, index in zip(values[1:], codes[1:], strict=True):
        key = key * np.int64(distinct.size) + index
    keys, inverse = distinct_keys(key, span)
    count = np.bincount(inverse, weights=weights, minlength=keys.size)
    columns = []
    for distinct in reversed(values):
        columns.append(distinct[keys % distinct.size])
        keys = keys // distinct.size
    return Groups(tuple(reversed(columns)), count.astype(np.float64))


def distinct_keys(key: NDArray[np.int64], span: int) -> tuple[NDArray[np.int64], NDArray[np.intp]]:
    """np.unique(key, return_inverse=True) for keys in [0, span); few possible keys
    (purchase counts by ages kept by the day) are counted instead of sorted."""
    if span > max(4 * key.size, DENSE_KEYS):
        keys, inverse = np.unique(key, return_inverse=True)
        return keys, np.asarray(inverse, dtype=np.intp).ravel()
    seen = np.bincount(key, minlength=span)
    present = np.flatnonzero(seen)
    position = np.zeros(span, dtype=np.intp)
    position[present] = np.arange(present.size)
    index = np.empty(key.size, dtype=np.intp)

    def number(rows: slice) -> None:
        index[rows] = position[key[rows]]

    by_block(number, key.size)
    return present.astype(np.int64), index


Codes = tuple[FloatArray, NDArray[np.intp]]
_kept: ContextVar[dict[int, tuple[FloatArray, Codes]] | None] = ContextVar("kept", default=None)


@contextmanager
def codes_kept() -> Iterator[None]:
    """Within, `distinct_values` numbers one array object once: the model choice fits
    BG/NBD and NBD on the same columns of millions of rows. The arrays are held until the
    end, so no other array can take the id of one numbered; nothing inside may change
    them."""
    token = _kept.set({})
    try:
        yield
    finally:
        _kept.reset(token)


def distinct_values(values: NDArray[np.float64]) -> Codes:
    """`_distinct_values`, or what it gave for this very array within `codes_kept`."""
    kept = _kept.get()
    if kept is None:
        return _distinct_values(values)
    hit = kept.get(id(values))
    if hit is not None and hit[0] is values:
        return hit[1]
    codes = _distinct_values(values)
    kept[id(values)] = (values, codes)
    return codes


def _distinct_values(values: NDArray[np.float64]) -> Codes:
    """np.unique(values, return_inverse=True), counted instead of sorted when every value is
    a whole number of sevenths below ten million: purchase counts, and ages and recencies in
    weeks of whole days (the summary's own unit). Counting is five to twenty times faster
    on millions of values; the values found are the same floats, since each one is checked
    to be exactly its count of sevenths over seven. The check and the numbering go block
    by block on every core (`blocks`), twice as fast again as whole-array passes. Any
    shape is read flat, as np.unique does."""
    values = values.ravel()
    if values.size:
        keys = np.empty(values.size, dtype=np.int64)

        def to_sevenths(rows: slice) -> float | None:
            """The block's highest count of sevenths; None when a value is not one."""
            part = values[rows]
            sevenths = np.rint(part * 7.0)
            high = float(sevenths.max())
            if not (sevenths.min() >= 0 and high < 1e7 and np.array_equal(sevenths / 7.0, part)):
                return None  # NaN too
            keys[rows] = sevenths
            return high

        highs = by_block(to_sevenths, values.size)
        if all(high is not None for high in highs):
            span = int(max(high for high in highs if high is not None)) + 1
            found, index = distinct_keys(keys, span)
            return found / 7.0, index
    found_values, inverse = np.unique(values, return_inverse=True)
    return np.asarray(found_values, dtype=np.float64), np.asarray(inverse, dtype=np.intp).ravel()
