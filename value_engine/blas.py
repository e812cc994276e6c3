"""How many BLAS threads a fit may use.

The likelihoods are many small vector products; OpenBLAS's threads spend more time waking
and waiting than computing on them. On 2 cores, 1,000,000 customers fit and score in
1.0 s with one thread against 1.3 s with two (bench/value_engine.py)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from threadpoolctl import threadpool_limits


@contextmanager
def one_blas_thread() -> Iterator[None]:
    with threadpool_limits(limits=1, user_api="blas"):
        yield
