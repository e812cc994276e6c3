"""What each RFM segment holds: its customers' and profit's shares, its averages.

Summed batch by batch, so an engine that scores tens of millions of customers in batches
reports the same figures as one pass over everyone.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from value_engine.models import RfmSegment, SegmentStats

_SEGMENTS = list(RfmSegment)


class SegmentTally:
    def __init__(self) -> None:
        size = len(_SEGMENTS)
        self._count = np.zeros(size, dtype=np.int64)
        self._positive = np.zeros(size)
        self._clv = np.zeros(size)
        self._p_alive = np.zeros(size)
        self._realized = np.zeros(size)

    def add(
        self,
        labels: NDArray[np.str_],
        realized: NDArray[np.float64],
        clv: NDArray[np.float64],
        p_alive: NDArray[np.float64],
    ) -> None:
        index = np.searchsorted(_SORTED, labels)
        position = _ORDER[index]
        size = len(_SEGMENTS)
        self._count += np.bincount(position, minlength=size)
        self._positive += np.bincount(position, np.clip(realized, 0, None), minlength=size)
        self._clv += np.bincount(position, clv, minlength=size)
        self._p_alive += np.bincount(position, p_alive, minlength=size)
        self._realized += np.bincount(position, realized, minlength=size)

    def merge(self, other: SegmentTally) -> None:
        self._count += other._count
        self._positive += other._positive
        self._clv += other._clv
        self._p_alive += other._p_alive
        self._realized += other._realized

    def stats(self) -> list[SegmentStats]:
        """Segments in the enum's order, empty ones left out."""
        n = int(self._count.sum())
        total_profit = float(self._positive.sum()) or 1.0
        return [
            SegmentStats(
                segment=segment,
                customers=int(count),
                share_customers=int(count) / n,
                share_profit=float(self._positive[i]) / total_profit,
                avg_clv=float(self._clv[i]) / int(count),
                avg_p_alive=float(self._p_alive[i]) / int(count),
                avg_realized=float(self._realized[i]) / int(count),
            )
            for i, (segment, count) in enumerate(zip(_SEGMENTS, self._count, strict=True))
            if count
        ]


_VALUES = np.array([s.value for s in _SEGMENTS])
_ORDER = np.argsort(_VALUES)
_SORTED = _VALUES[_ORDER]
