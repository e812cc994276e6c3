"""The value engine against published results, an independent oracle, and known truths.

CDNOW: the 2,357-customer sample with a 39-week calibration period (tests/data,
from the `lifetimes` package's datasets), for which Fader, Hardie & Lee (2005)
publish the BG/NBD fit, and Fader, Hardie & Lee's "RFM and CLV" (2005) the
Gamma-Gamma fit.
"""

from __future__ import annotations

from pathlib import Path

import mpmath
import numpy as np
import pytest
from scipy import optimize

from value_engine import measures
from value_engine.bgnbd import (
    _Likelihood,
    expected_purchases,
    fit_bgnbd,
    log_likelihood,
    probability_alive,
    simulate,
)
from value_engine.clv import discounted_clv
from value_engine.gamma_gamma import expected_spend, fit_gamma_gamma, simulate_spend
from value_engine.models import BgNbdParams, GammaGammaParams, RfmSegment, Risk, Tier, Trend
from value_engine.summary import TransactionLog, summarize

CDNOW = Path(__file__).parent / "data" / "cdnow_summary.csv"


def sig3(value: float) -> str:
    return f"{value:.3g}"


@pytest.fixture(scope="module")
def cdnow() -> np.ndarray:
    return np.genfromtxt(CDNOW, delimiter=",", names=True)


@pytest.fixture(scope="module")
def cdnow_fit(cdnow: np.ndarray) -> BgNbdParams:
    return fit_bgnbd(cdnow["x"], cdnow["t_x"], cdnow["T"])


def test_bgnbd_reproduces_the_published_cdnow_fit(
    cdnow: np.ndarray, cdnow_fit: BgNbdParams
) -> None:
    assert len(cdnow) == 2357
    p = cdnow_fit
    assert (sig3(p.r), sig3(p.alpha), sig3(p.a), sig3(p.b)) == ("0.243", "4.41", "0.793", "2.43")
    assert p.loglik == pytest.approx(-9582.4, abs=0.05)
    assert p.converged


def test_weights_stand_for_identical_customers(cdnow: np.ndarray, cdnow_fit: BgNbdParams) -> None:
    doubled = fit_bgnbd(
        np.r_[cdnow["x"], cdnow["x"]],
        np.r_[cdnow["t_x"], cdnow["t_x"]],
        np.r_[cdnow["T"], cdnow["T"]],
    )
    weighted = fit_bgnbd(cdnow["x"], cdnow["t_x"], cdnow["T"], weights=np.full(len(cdnow), 2.0))
    for name in ("r", "alpha", "a", "b"):
        assert getattr(weighted, name) == pytest.approx(getattr(doubled, name), rel=1e-5)
        assert getattr(weighted, name) == pytest.approx(getattr(cdnow_fit, name), rel=1e-4)
    assert weighted.loglik == pytest.approx(2 * cdnow_fit.loglik, abs=1e-6)
    total = float(log_likelihood(cdnow_fit, cdnow["x"], cdnow["t_x"], cdnow["T"]).sum())
    assert total == pytest.approx(cdnow_fit.loglik, abs=1e-6)


def test_gamma_gamma_reproduces_the_published_cdnow_fit(cdnow: np.ndarray) -> None:
    fit = fit_gamma_gamma(cdnow["x"], cdnow["zbar"])
    assert fit.customers == 946
    assert (sig3(fit.p), sig3(fit.q), sig3(fit.v)) == ("6.25", "3.74", "15.4")
    assert fit.v == pytest.approx(15.44, abs=0.01)


@pytest.mark.parametrize("seed", [1, 2])
def test_bgnbd_recovers_known_parameters(seed: int) -> None:
    truth = BgNbdParams(r=0.6, alpha=8.0, a=0.9, b=3.5)
    rng = np.random.default_rng(seed)
    ages = rng.uniform(20, 80, 30_000)
    x, t_x = simulate(truth, ages, rng)
    fit = fit_bgnbd(x, t_x, ages)
    assert fit.r == pytest.approx(truth.r, rel=0.08)
    assert fit.alpha == pytest.approx(truth.alpha, rel=0.10)
    assert fit.a == pytest.approx(truth.a, rel=0.20)
    assert fit.b == pytest.approx(truth.b, rel=0.25)


def test_gamma_gamma_recovers_known_parameters() -> None:
    truth = GammaGammaParams(p=6.0, q=4.0, v=20.0)
    rng = np.random.default_rng(3)
    x = rng.integers(1, 15, 30_000).astype(float)
    m = simulate_spend(truth, x, rng)
    fit = fit_gamma_gamma(x, m)
    assert fit.p == pytest.approx(truth.p, rel=0.08)
    assert fit.q == pytest.approx(truth.q, rel=0.10)
    assert fit.v == pytest.approx(truth.v, rel=0.15)


def test_analytic_gradient_matches_finite_differences(cdnow: np.ndarray) -> None:
    model = _Likelihood(cdnow["x"], cdnow["t_x"], cdnow["T"], np.ones(len(cdnow)))
    point = np.log([0.3, 5.0, 0.7, 2.0])
    error = optimize.check_grad(
        lambda v: model.value_and_grad(v)[0], lambda v: model.value_and_grad(v)[1], point
    )
    assert error < 1e-5


def _textbook_expected(p: BgNbdParams, t: float, x: float, t_x: float, big_t: float) -> float:
    """Equation (10) of Fader, Hardie & Lee (2005), evaluated in 50-digit arithmetic."""
    mp = mpmath.mp
    mp.dps = 50
    r, alpha, a, b = (mpmath.mpf(v) for v in (p.r, p.alpha, p.a, p.b))
    x, t_x, big_t, t = (mpmath.mpf(v) for v in (x, t_x, big_t, t))
    z = t / (alpha + big_t + t)
    hyp = mpmath.hyp2f1(r + x, b + x, a + b + x - 1, z)
    head = (a + b + x - 1) / (a - 1)
    body = 1 - ((alpha + big_t) / (alpha + big_t + t)) ** (r + x) * hyp
    odds = (a / (b + x - 1)) * ((alpha + big_t) / (alpha + t_x)) ** (r + x) if x > 0 else 0
    return float(head * body / (1 + odds))


@pytest.mark.parametrize(
    ("x", "t_x", "big_t", "t"),
    [(0, 0, 38.86, 39), (2, 30.43, 38.86, 39), (40, 70, 78, 520), (150, 300, 310, 1040)],
)
def test_conditional_expectation_is_exact_where_the_textbook_form_overflows(
    cdnow_fit: BgNbdParams, x: float, t_x: float, big_t: float, t: float
) -> None:
    ours = float(
        expected_purchases(cdnow_fit, t, np.array([x]), np.array([t_x]), np.array([big_t]))[0]
    )
    assert np.isfinite(ours)
    assert ours == pytest.approx(_textbook_expected(cdnow_fit, t, x, t_x, big_t), rel=1e-9)


def test_predictions_match_lifetimes_as_an_oracle(
    cdnow: np.ndarray, cdnow_fit: BgNbdParams
) -> None:
    lifetimes = pytest.importorskip("lifetimes")
    import pandas as pd

    frame = pd.DataFrame(
        {"x": cdnow["x"], "t_x": cdnow["t_x"], "T": cdnow["T"], "m": cdnow["zbar"]}
    )
    bgf = lifetimes.BetaGeoFitter()
    bgf.fit(frame["x"], frame["t_x"], frame["T"])
    for name in ("r", "alpha", "a", "b"):
        assert bgf.params_[name] == pytest.approx(getattr(cdnow_fit, name), rel=1e-4)
    x, t_x, big_t, m = (frame[c].to_numpy() for c in ("x", "t_x", "T", "m"))
    theirs = bgf.conditional_expected_number_of_purchases_up_to_time(
        39, frame["x"], frame["t_x"], frame["T"]
    )
    np.testing.assert_allclose(expected_purchases(cdnow_fit, 39, x, t_x, big_t), theirs, rtol=1e-3)
    alive = bgf.conditional_probability_alive(frame["x"], frame["t_x"], frame["T"])
    np.testing.assert_allclose(probability_alive(cdnow_fit, x, t_x, big_t), alive, rtol=1e-3)

    repeat = frame[frame["x"] > 0]
    ggf = lifetimes.GammaGammaFitter()
    ggf.fit(repeat["x"], repeat["m"])
    gg = fit_gamma_gamma(x, m)
    spend = expected_spend(gg, x, m)
    np.testing.assert_allclose(
        spend, ggf.conditional_expected_average_profit(frame["x"], frame["m"]), rtol=1e-3
    )
    their_clv = ggf.customer_lifetime_value(
        bgf, frame["x"], frame["t_x"], frame["T"], frame["m"], time=12, discount_rate=0.01, freq="W"
    )
    ours = discounted_clv(cdnow_fit, spend, x, t_x, big_t, 12, 0.01, step=4.345)
    np.testing.assert_allclose(ours, their_clv, rtol=2e-3)


def test_p_alive_and_clv_behave(cdnow_fit: BgNbdParams) -> None:
    # No repeat purchase: the model cannot see a dropout.
    assert (
        probability_alive(cdnow_fit, np.array([0.0]), np.array([0.0]), np.array([30.0]))[0] == 1.0
    )
    # Same history, longer silence: less likely alive.
    alive = probability_alive(
        cdnow_fit, np.array([3.0, 3.0]), np.array([10.0, 10.0]), np.array([20.0, 60.0])
    )
    assert alive[0] > alive[1]
    args = (np.array([3.0]), np.array([10.0]), np.array([20.0]))
    assert discounted_clv(cdnow_fit, np.array([50.0]), *args, 0, 0.01)[0] == 0.0
    cheap = discounted_clv(cdnow_fit, np.array([50.0]), *args, 12, 0.0)[0]
    dear = discounted_clv(cdnow_fit, np.array([50.0]), *args, 12, 0.05)[0]
    assert cheap > dear > 0


def test_bad_inputs_are_refused() -> None:
    with pytest.raises(ValueError, match="recency"):
        fit_bgnbd([1, 2], [5, 50], [10, 20])
    with pytest.raises(ValueError, match="whole number"):
        fit_bgnbd([1.5], [1], [2])
    with pytest.raises(ValueError, match="no customers"):
        fit_bgnbd([], [], [])


def test_summary_counts_purchase_days_and_ignores_returns_as_occasions() -> None:
    # Customer 0: buys on days 0, 0 (same day), 14, 28, returns on 30; customer 1 buys once.
    log = TransactionLog(
        customer=np.array([0, 0, 0, 0, 0, 1]),
        day=np.array([0, 0, 14, 28, 30, 21]),
        amount=np.array([10.0, 5.0, 20.0, 30.0, -8.0, 40.0]),
        profit=np.array([3.0, 1.5, 6.0, 9.0, -2.4, 12.0]),
        profit_assumed=np.zeros(6, dtype=bool),
    )
    s = summarize(log, customers=3, as_of_day=35, unit_days=7.0)
    assert s.frequency.tolist() == [2.0, 0.0, 0.0]
    assert s.recency.tolist() == [4.0, 0.0, 0.0]
    assert s.age.tolist() == [5.0, 2.0, 0.0]
    assert s.monetary[0] == pytest.approx(25.0)  # repeat occasions only: (20 + 30) / 2
    assert s.revenue.tolist() == pytest.approx([57.0, 40.0, 0.0])
    assert s.profit[0] == pytest.approx(17.1)
    assert s.has_purchase.tolist() == [True, True, False]
    assert s.days_since_last[0] == 7.0


def test_quintiles_keep_ties_together() -> None:
    scores = measures.quintile_scores(np.array([1.0] * 5 + [2.0, 3.0, 4.0, 5.0, 6.0]))
    assert len(set(scores[:5].tolist())) == 1
    assert scores[-1] == 5 and scores.min() >= 1


def test_pareto_tiers_follow_the_80_percent_rule() -> None:
    profit = np.array([500.0, 300.0, 100.0, 50.0, 30.0, 20.0, -10.0])
    tiers = measures.pareto_tiers(profit).tolist()
    # Shares before each: 0, .5, .8, .9, .95, .98 -> A A B B C C, and a loss is C.
    assert tiers == ["A", "A", "B", "B", "C", "C", "C"]


def test_every_rfm_cell_has_a_segment_and_the_corners_are_right() -> None:
    cells = {
        measures.rfm_segment(r, f, m) for r in range(1, 6) for f in range(1, 6) for m in range(1, 6)
    }
    assert cells == set(RfmSegment)
    assert measures.rfm_segment(5, 5, 5) is RfmSegment.CHAMPIONS
    assert measures.rfm_segment(1, 1, 1) is RfmSegment.LOST
    assert measures.rfm_segment(1, 5, 5) is RfmSegment.CANNOT_LOSE


def test_risk_and_trend_rules() -> None:
    assert measures.churn_risk(0.2, 3) is Risk.HIGH
    assert measures.churn_risk(0.5, 3) is Risk.MEDIUM
    assert measures.churn_risk(0.9, 3) is Risk.LOW
    assert measures.churn_risk(1.0, 0) is Risk.MEDIUM
    assert measures.value_trend(150, 100, 400) is Trend.UP
    assert measures.value_trend(105, 100, 400) is Trend.FLAT
    assert measures.value_trend(50, 100, 400) is Trend.DOWN
    assert measures.value_trend(50, 0, 30) is Trend.NEW
    assert Tier("A") is Tier.A
