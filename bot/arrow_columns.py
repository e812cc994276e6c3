"""Arrow columns for the columnar readers, at Arrow's speed.

pyarrow's count_distinct takes half a second on a million ids: a file exported in id
order (most are) is checked with one comparison of neighbours, and any other with a
hash-based unique, five times faster. pyarrow's to_numpy imports pandas when it is
installed (a fifth of a second on every start of the CLI): numbers are read from the
column's buffer instead. pa.array() of Python text and every Python scalar handed to a
compute function import it too (a third of a second of `cvm import`'s start): `strings`
and `scalar` build them from buffers.
"""

from __future__ import annotations

from collections.abc import Collection
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


def strings(values: Collection[str]) -> Any:
    """Python text as an Arrow string array, built from its UTF-8 bytes and offsets."""
    encoded = [value.encode("utf-8") for value in values]
    lengths = np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded))
    if int(lengths.sum()) >= 1 << 31:  # beyond 32-bit offsets: pyarrow's own way
        return pa.array(list(values), pa.string())
    offsets = np.zeros(len(encoded) + 1, dtype=np.int32)
    np.cumsum(lengths, out=offsets[1:])
    data = pa.py_buffer(b"".join(encoded))
    return pa.Array.from_buffers(pa.string(), len(encoded), [None, pa.py_buffer(offsets), data])


_NUMPY_TYPES = {pa.float64(): np.float64, pa.int64(): np.int64}


def numbers(values: Any, type_: Any = None) -> Any:
    """A float64 (or int64) NumPy array, or anything NumPy reads as one, as an Arrow array
    without nulls, from its buffer."""
    type_ = pa.float64() if type_ is None else type_
    data = np.ascontiguousarray(values, dtype=_NUMPY_TYPES[type_]).reshape(-1)
    return pa.Array.from_buffers(type_, data.size, [None, pa.py_buffer(data)])


def scalar(value: float | str | None, type_: Any) -> Any:
    """An Arrow scalar of a float64, int64 or string `value` (None: null), for compute
    functions: the one element of an array built from buffers."""
    if value is None:
        return pa.nulls(1, type_)[0]
    if type_ == pa.string():
        return strings([str(value)])[0]
    return numbers([value], type_)[0]
