"""Arrow columns for the columnar readers, at Arrow's speed.

pyarrow's count_distinct takes half a second on a million ids: a file exported in id
order (most are) is checked with one comparison of neighbours, and any other with a
hash-based unique, five times faster. pyarrow's to_numpy imports pandas when it is
installed (a fifth of a second on every start of the CLI): numbers are read from the
column's buffer instead.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


def all_distinct(values: Any) -> bool:
    """True when no value of the Arrow string array (or chunked array) appears twice."""
    array = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    n = len(array)
    if n < 2:
        return True
    if pc.all(pc.less(array.slice(0, n - 1), array.slice(1))).as_py():
        return True  # strictly increasing
    return len(pc.unique(array)) == n


def floats(values: Any) -> np.ndarray:
    """A float64 column without nulls as a NumPy array (a copy when it has chunks)."""
    array = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    if array.type != pa.float64() or array.null_count:
        return np.asarray(array.to_numpy(zero_copy_only=False), dtype=np.float64)
    data = array.buffers()[1]
    return np.frombuffer(data, dtype=np.float64, count=len(array), offset=array.offset * 8)
