"""Fitting on sufficient statistics (issue 13, item 2): the distinct (x, t_x, T) and
(x, m) with their counts give the per-customer fit's parameters."""

from __future__ import annotations

import numpy as np
import pytest

from value_engine.bgnbd import WARM_START_ABOVE, fit_bgnbd, simulate
from value_engine.dropout_limits import fit_nbd
from value_engine.gamma_gamma import fit_gamma_gamma, simulate_spend
from value_engine.model_choice import fit_purchase_model, fit_spend_model
from value_engine.models import BgNbdParams, GammaGammaParams
from value_engine.sufficient import group


def _summary(n: int, seed: int = 3) -> tuple[np.ndarray, ...]:
    """Recorded by the day over up to three years, in weeks, like the benchmarks' data."""
    rng = np.random.default_rng(seed)
    days = rng.integers(1, 3 * 365, n)
    x, t_x = simulate(BgNbdParams(r=0.55, alpha=9.0, a=0.9, b=4.5), days / 7.0, rng)
    t_x = np.floor(t_x * 7.0) / 7.0
    m = np.round(simulate_spend(GammaGammaParams(p=6.0, q=4.0, v=300.0), x, rng), 2)
    return x, t_x, days / 7.0, m


def test_groups_are_the_distinct_rows_with_their_counts() -> None:
    x = np.array([2.0, 0.0, 2.0, 2.0, 1.0])
    t = np.array([5.0, 0.0, 5.0, 4.0, 1.0])
    groups = group(x, t, weights=np.array([1.0, 1.0, 2.0, 1.0, 1.0]))
    assert [c.tolist() for c in groups.columns] == [[0.0, 1.0, 2.0, 2.0], [0.0, 1.0, 4.0, 5.0]]
    assert groups.count.tolist() == [1.0, 1.0, 1.0, 3.0]
    assert group(np.zeros(0), np.zeros(0)).size == 0


@pytest.fixture(scope="module")
def summary() -> tuple[np.ndarray, ...]:
    return _summary(WARM_START_ABOVE + 50_000)  # the per-customer fit takes its warm start


def test_bgnbd_and_nbd_on_groups_equal_the_per_customer_fits(
    summary: tuple[np.ndarray, ...],
) -> None:
    x, t_x, big_t, _ = summary
    groups = group(x, t_x, big_t)
    assert groups.size < 0.7 * x.size  # logs by the day: fewer groups than customers
    per_customer = fit_bgnbd(x, t_x, big_t)
    grouped = fit_bgnbd(*groups.columns, groups.count)
    for name in ("r", "alpha", "a", "b"):
        assert getattr(grouped, name) == pytest.approx(getattr(per_customer, name), rel=1e-6)
    assert grouped.loglik == pytest.approx(per_customer.loglik, rel=1e-9)
    assert grouped.customers == per_customer.customers == x.size
    nbd_groups = group(x, big_t)
    nbd = fit_nbd(*nbd_groups.columns, nbd_groups.count)
    assert nbd.r == pytest.approx(fit_nbd(x, big_t).r, rel=1e-6)
    grouped_x, _, grouped_t = groups.columns  # the purchase groups, as the model choice has
    nbd_from_purchase_groups = fit_nbd(grouped_x, grouped_t, groups.count)
    for name in ("r", "alpha", "loglik"):
        assert getattr(nbd_from_purchase_groups, name) == pytest.approx(
            getattr(nbd, name), rel=1e-6
        )
    chosen = fit_purchase_model(x, t_x, big_t)  # what the product runs: grouped inside
    assert chosen.a == pytest.approx(per_customer.a, rel=1e-6)


def test_nbd_folded_by_age_equals_the_per_customer_sum() -> None:
    """Ages that are not whole days (sorted, not counted): the same likelihood as adding
    up every customer's terms, at the optimum and away from it."""
    rng = np.random.default_rng(11)
    big_t = rng.uniform(1.0, 150.0, 5_000)
    rates = rng.gamma(2.0, 0.025, big_t.size)  # r = 2, α = 40: customers differ
    x = rng.poisson(rates * big_t).astype(float)
    fitted = fit_nbd(x, big_t)
    r, alpha = fitted.r, fitted.alpha
    from scipy import special

    per_customer = (
        special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
        - (r + x) * np.log(alpha + big_t)
    )  # fmt: skip
    assert fitted.loglik == pytest.approx(float(per_customer.sum()), rel=1e-12)
    assert fitted.converged and not fitted.at_bound
    assert fitted.r / fitted.alpha == pytest.approx(0.05, rel=0.1)
    assert fitted.r == pytest.approx(2.0, rel=0.3)


def test_gamma_gamma_on_groups_equals_the_per_customer_fit(
    summary: tuple[np.ndarray, ...],
) -> None:
    x, _, _, m = summary
    repeat = x > 0
    groups = group(x[repeat], m[repeat])
    per_customer = fit_gamma_gamma(x, m)
    grouped = fit_gamma_gamma(*groups.columns, groups.count)
    for name in ("p", "q", "v"):
        assert getattr(grouped, name) == pytest.approx(getattr(per_customer, name), rel=1e-6)
    chosen = fit_spend_model(x, m)
    assert chosen.q == pytest.approx(per_customer.q, rel=1e-6)


def test_identical_customers_are_one_group_and_still_count() -> None:
    """Thirty customers who bought the same: one row for the fit, thirty for the rules."""
    x = np.full(40, 3.0)
    m = np.full(40, 50.0)
    spend = fit_spend_model(x, m)
    assert spend.customers == 40 and spend.mean_spend == pytest.approx(50.0)


def test_the_faster_groupings_are_nps() -> None:
    """`group` numbers each column's values and sorts one integer key, and
    `distinct_values` counts whole numbers instead of sorting them: they must give the
    sorted rows' groups and np.unique's answers exactly, whole numbers or not."""
    from value_engine.sufficient import distinct_values

    x, t_x, big_t, m = _summary(300_000)
    weights = np.random.default_rng(4).integers(1, 5, x.size).astype(float)
    for columns in ((x, big_t), (x, t_x, big_t), (x, m), (m, x)):
        fast = group(*columns, weights=weights)
        arrays = [np.asarray(c, dtype=np.float64) for c in columns]
        order = np.lexsort(arrays[::-1])
        rows = [c[order] for c in arrays]
        change = np.ones(x.size, dtype=bool)
        change[1:] = np.any([r[1:] != r[:-1] for r in rows], axis=0)
        starts = np.flatnonzero(change)
        assert fast.size == starts.size
        for got, sorted_column in zip(fast.columns, rows, strict=True):
            assert np.array_equal(got, sorted_column[starts])
        assert np.array_equal(fast.count, np.add.reduceat(weights[order], starts))
    with_nan = group(np.array([1.0, np.nan, 1.0]), np.array([2.0, 2.0, 2.0]))
    assert with_nan.size == 2 and with_nan.count.tolist() == [2.0, 1.0]
    for values in (x, x + 0.5, np.array([3.0, 0.0, 3.0, 1e8]), np.array([-1.0, 2.0, -1.0])):
        found, index = distinct_values(values)
        reference, inverse = np.unique(values, return_inverse=True)
        assert np.array_equal(found, reference) and np.array_equal(index, inverse.ravel())


def test_block_sums_are_the_same_on_every_run() -> None:
    """The likelihood is summed over blocks on all cores: equal to the whole-array sum to
    rounding, and bit for bit the same every time (a fit must be deterministic)."""
    from value_engine.blocks import BLOCK, block_sums

    values = np.random.default_rng(5).random(BLOCK * 7 + 123)

    def part(rows: slice) -> np.ndarray:
        return np.array([values[rows].sum(), np.log1p(values[rows]).sum()])

    first = block_sums(part, values.size)
    assert first == pytest.approx([values.sum(), np.log1p(values).sum()], rel=1e-12)
    assert all(np.array_equal(block_sums(part, values.size), first) for _ in range(20))
    x, t_x, big_t, _ = _summary(400_000)
    one, two = fit_bgnbd(x, t_x, big_t), fit_bgnbd(x, t_x, big_t)
    assert (one.r, one.alpha, one.a, one.b) == (two.r, two.alpha, two.a, two.b)


def test_sevenths_are_counted_and_give_np_uniques_floats() -> None:
    """`distinct_values` counts ages in weeks of whole days instead of sorting them; the
    floats it returns must be np.unique's, bit for bit, and anything else falls back."""
    from value_engine.sufficient import distinct_values

    x, t_x, big_t, m = _summary(300_000)
    odd = big_t.copy()
    odd[12_345] += 1e-9  # not a whole number of sevenths: the sorting path
    late = big_t.copy()
    late[-5] = np.nan  # in the last of the blocks checked on other cores
    for values in (
        big_t,
        t_x,
        x,
        odd,
        late,
        m,
        np.array([0.0, -0.0, 1 / 7, 3.0]),
        np.array([np.nan, 1.0]),
        np.asarray(3.0),  # one customer's summary, as a number
        np.array([[1 / 7, 2.0], [2.0, 0.5]]),
    ):
        found, index = distinct_values(values)
        reference, inverse = np.unique(values, return_inverse=True)
        assert found.tobytes() == reference.astype(np.float64).tobytes() or (
            np.array_equal(found, reference, equal_nan=True)
        )
        assert np.array_equal(index, inverse.ravel())


def test_newton_steps_from_a_sample_reach_the_same_fits_with_fewer_evaluations(
    summary: tuple[np.ndarray, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Large fits start from a 5% sample's optimum and take Newton steps on all the rows
    with the sample's curvature (`value_engine.newton`): the same parameters as L-BFGS-B
    alone to 1e-6 (L-BFGS-B alone stops on the relative change of the value, at about
    1e-7), a likelihood at least as high, and far fewer evaluations of all the rows."""
    from value_engine import bgnbd, gamma_gamma, newton

    x, t_x, big_t, m = summary
    repeat = x > 0
    evaluations: list[int] = []
    real = newton.remembered

    def counted(objective):  # type: ignore[no-untyped-def]
        evaluations.append(0)
        slot = len(evaluations) - 1

        def evaluate(point):  # type: ignore[no-untyped-def]
            evaluations[slot] += 1
            return objective(point)

        return real(evaluate)

    fits = []
    for warm in (True, False):
        evaluations.clear()
        above = 50_000 if warm else 10**12
        monkeypatch.setattr(bgnbd, "WARM_START_ABOVE", above)
        monkeypatch.setattr(gamma_gamma, "WARM_START_ABOVE", above)
        monkeypatch.setattr(bgnbd, "remembered", counted)
        monkeypatch.setattr(gamma_gamma, "remembered", counted)
        purchase = fit_bgnbd(x, t_x, big_t)
        spend = fit_gamma_gamma(x[repeat], m[repeat])
        fits.append((purchase, spend, list(evaluations)))
    (p_warm, s_warm, n_warm), (p_cold, s_cold, n_cold) = fits
    for name in ("r", "alpha", "a", "b"):
        assert getattr(p_warm, name) == pytest.approx(getattr(p_cold, name), rel=1e-6)
    for name in ("p", "q", "v"):
        assert getattr(s_warm, name) == pytest.approx(getattr(s_cold, name), rel=1e-6)
    assert p_warm.loglik >= p_cold.loglik - 1e-9 * abs(p_cold.loglik)
    assert s_warm.loglik >= s_cold.loglik - 1e-9 * abs(s_cold.loglik)
    assert p_warm.converged and s_warm.converged
    assert n_warm[0] <= 9 < n_cold[0], (n_warm, n_cold)  # BG/NBD on all the rows
    assert n_warm[1] <= 9 < n_cold[1], (n_warm, n_cold)  # Gamma-Gamma on all the rows


def test_newton_keeps_the_start_when_the_sample_cannot_guide_it() -> None:
    from value_engine.newton import newton_from_sample

    def bowl(point: np.ndarray) -> tuple[float, np.ndarray]:
        return float((point - 1.0) @ (point - 1.0)), 2 * (point - 1.0)

    def flat(point: np.ndarray) -> tuple[float, np.ndarray]:
        return 0.0, np.zeros_like(point)

    start = np.zeros(2)
    wide, narrow = np.full(2, 10.0), np.full(2, 0.5)
    assert np.allclose(newton_from_sample(bowl, bowl, start, -wide, wide), 1.0)
    assert np.array_equal(newton_from_sample(bowl, flat, start, -wide, wide), start)
    assert np.array_equal(newton_from_sample(bowl, bowl, start, -narrow, narrow), start)


def test_the_sample_takes_heavy_rows_whole_and_every_twentieth_other_for_twenty() -> None:
    from value_engine.newton import STRIDE, sample

    weights = np.ones(1_000)
    weights[[3, 500, 998]] = [20.0, 400.0, 1_000.0]
    rows, sampled = sample(weights)
    assert {3, 500, 998} <= set(rows.tolist())
    assert np.all(np.diff(rows) > 0)
    light = np.flatnonzero(weights < STRIDE)
    assert set(rows.tolist()) - {3, 500, 998} == set(light[::STRIDE].tolist())
    assert sampled[np.isin(rows, [3, 500, 998])].tolist() == [20.0, 400.0, 1_000.0]
    assert np.all(sampled[~np.isin(rows, [3, 500, 998])] == STRIDE)
    assert sampled.sum() == pytest.approx(weights.sum(), rel=0.01)


def test_on_grouped_data_the_sample_starts_newton_near_the_optimum() -> None:
    """Grouped, a tenth of the customers are a few hundred rows of one-time buyers. A
    sample of every twentieth row alone misweighs them, and its optimum is far from the
    whole data's; with the heavy rows whole it is five to ten times nearer (measured at
    1 and 10 million customers; `newton.sample`)."""
    from value_engine.bgnbd import _Likelihood, _minimize
    from value_engine.newton import sample

    x, t_x, big_t, _ = _summary(1_000_000)
    groups = group(x, t_x, big_t)
    gx, gt, gT = groups.columns
    w = groups.count
    whole = _Likelihood(gx, gt, gT, w).value_and_grad
    start = np.log([1.0, float(np.average(gT, weights=w)), 1.0, 1.0])

    def gradient_at_the_samples_optimum(rows: np.ndarray, weights: np.ndarray) -> float:
        part = _Likelihood(gx[rows], gt[rows], gT[rows], weights).value_and_grad
        return float(np.max(np.abs(whole(_minimize(part, start).x)[1])))

    rows, sampled = sample(w)
    designed = gradient_at_the_samples_optimum(rows, sampled)
    every_twentieth = np.arange(0, w.size, 20)
    plain = gradient_at_the_samples_optimum(every_twentieth, w[every_twentieth])
    assert (w >= 20).sum() < 0.01 * w.size and w[w >= 20].sum() > 0.1 * w.sum()
    assert designed < plain / 3, (designed, plain)


def test_the_model_choice_numbers_each_column_once(
    summary: tuple[np.ndarray, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    """BG/NBD and NBD fit on the same counts and ages: numbered once (`codes_kept`), and
    only within the model choice."""
    from value_engine import sufficient

    x, t_x, big_t, _ = summary
    groups = group(x, t_x, big_t)
    gx, gt, gT = groups.columns
    sizes: list[int] = []
    real = sufficient._distinct_values

    def counted(values: np.ndarray) -> sufficient.Codes:
        sizes.append(values.size)
        return real(values)

    monkeypatch.setattr(sufficient, "_distinct_values", counted)
    fit_purchase_model(gx, gt, gT, groups.count, distinct=True)
    assert sizes.count(gx.size) == 3  # counts, recencies and ages; NBD's two were kept
    with sufficient.codes_kept():
        first = sufficient.distinct_values(gT)
        assert sufficient.distinct_values(gT) is first
        assert sufficient.distinct_values(gT.copy()) is not first
    sizes.clear()
    sufficient.distinct_values(gT)
    sufficient.distinct_values(gT)
    assert sizes == [gT.size, gT.size]  # nothing kept outside
