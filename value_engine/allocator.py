"""glibc's malloc, set for the blocks' temporaries.

A likelihood block (`blocks`) makes some twenty temporary arrays of 1 MB on each worker
thread. glibc serves an allocation of that size either by mapping fresh pages, a page
fault for every 4 KB, or from its heaps, by a threshold that it moves itself as memory is
freed, and it returns a heap's free top to the system beyond twice that threshold. So one
and the same evaluation of BG/NBD on 4.4 million groups took 0.05 s or 0.17 s, depending
only on what the process had allocated and freed before (measured on 2 cores), and the
fit's time swung with it. Fixed thresholds make it the fast case every time: allocations
below 4 MB come from the heaps, which keep up to 32 MB of free memory on top for the next
block; larger arrays are mapped and go back to the system when freed, as before.
"""

from __future__ import annotations

import ctypes
import os

M_TRIM_THRESHOLD = -1  # glibc's malloc.h
M_MMAP_THRESHOLD = -3
MAPPED_FROM = 4 << 20  # bytes; above a block's temporaries (2^17 rows of 8 bytes: 1 MB)
KEPT_FREE = 32 << 20  # bytes; above what one block's temporaries add up to

# glibc's own ways to set them at start-up (mallopt(3)); when set, they are left alone.
OPERATOR_SETTINGS = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_")
_outcome: bool | None = None  # once per process: set, or not glibc


def tune_for_blocks() -> bool:
    """Set the thresholds, once per process; False where the C library is not glibc or
    the operator set them."""
    global _outcome
    if _outcome is None:
        _outcome = _set_thresholds()
    return _outcome


def _set_thresholds() -> bool:
    if any(name in os.environ for name in OPERATOR_SETTINGS) or "glibc.malloc" in (
        os.environ.get("GLIBC_TUNABLES", "")
    ):
        return False  # the operator chose: theirs stand
    try:
        if not os.confstr("CS_GNU_LIBC_VERSION"):
            return False
        mallopt = ctypes.CDLL(None).mallopt
    except (ValueError, OSError, AttributeError):  # no such name: not glibc
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    return bool(mallopt(M_MMAP_THRESHOLD, MAPPED_FROM)) and bool(
        mallopt(M_TRIM_THRESHOLD, KEPT_FREE)
    )
