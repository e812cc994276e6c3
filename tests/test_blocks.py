"""Work split into blocks on every core (`value_engine.blocks`) and the allocator
settings it relies on (`value_engine.allocator`)."""

from __future__ import annotations

import itertools
import os

import numpy as np
import pytest

from value_engine import allocator, blocks


def test_blocks_run_in_order_and_sum_in_a_fixed_order() -> None:
    values = np.random.default_rng(5).random(5 * blocks.BLOCK + 17)
    pieces = blocks.by_block(lambda rows: (rows.start, rows.stop), values.size)
    assert pieces[0] == (0, blocks.BLOCK) and pieces[-1][1] == values.size
    assert all(a[1] == b[0] for a, b in itertools.pairwise(pieces))
    total = blocks.block_sums(lambda rows: np.array([values[rows].sum()]), values.size)
    again = blocks.block_sums(lambda rows: np.array([values[rows].sum()]), values.size)
    assert total[0] == again[0] == pytest.approx(values.sum(), rel=1e-12)


def test_every_block_keeps_the_callers_numpy_error_state() -> None:
    """NumPy's error state is per context; a worker thread's own would warn (or ignore)
    where the caller asked for the opposite."""
    big = np.full(3 * blocks.BLOCK, 800.0)

    def part(rows: slice) -> np.ndarray:
        return np.array([np.exp(big[rows]).sum()])

    with np.errstate(over="raise"), pytest.raises(FloatingPointError):
        blocks.block_sums(part, big.size)
    with np.errstate(over="ignore"):
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert np.isinf(blocks.block_sums(part, big.size)[0])


@pytest.mark.skipif(not os.confstr("CS_GNU_LIBC_VERSION"), reason="glibc only")
def test_the_allocator_is_tuned_before_the_first_block(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    monkeypatch.setattr(blocks, "tune_for_blocks", lambda: calls.append("tuned") or True)
    blocks.by_block(lambda rows: calls.append("block"), 10)
    assert calls == ["tuned", "block"]
    assert allocator.tune_for_blocks() and allocator.tune_for_blocks()  # once, then kept


def test_weighted_mean_and_float_conversion_by_block() -> None:
    rng = np.random.default_rng(9)
    values = rng.random(3 * blocks.BLOCK + 5)
    weights = rng.integers(1, 50, values.size).astype(float)
    assert blocks.weighted_mean(values, weights) == pytest.approx(
        np.average(values, weights=weights), rel=1e-12
    )
    assert blocks.weighted_mean(values[:3], np.zeros(3)) == 0.0
    counts = rng.integers(0, 1 << 40, values.size)
    converted = blocks.as_float64(counts)
    assert converted.dtype == np.float64 and np.array_equal(converted, counts.astype(np.float64))
    assert blocks.as_float64(values) is values


def test_the_operators_malloc_settings_stand(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MALLOC_TRIM_THRESHOLD_", "131072")
    assert allocator._set_thresholds() is False
    monkeypatch.delenv("MALLOC_TRIM_THRESHOLD_")
    monkeypatch.setenv("GLIBC_TUNABLES", "glibc.malloc.mmap_threshold=65536")
    assert allocator._set_thresholds() is False
