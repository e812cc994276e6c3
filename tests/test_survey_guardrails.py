"""Issue 25, part A: what a manager reads must be safe to act on.

Each reproduction of the issue is a test here: advice only from findings that are
significant on enough answers, each driver's direction, the outcome range-checked, the
overall delivered value as the mean of the respondents' own values, the quality of Kano
answers, and segment comparisons that name features and say whether segments differ.
The data are seeded and their verdicts are far from the thresholds.
"""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import Engine

from bot.render.survey import compare_html, delivered_html, equity_html, kano_html
from bot.surveys.service import SurveyResult, SurveyService
from knowledge.models import Lang
from tests.test_survey_import import demo_engine  # noqa: F401 (a fixture)
from value_engine.survey import advice, delivered, drivers, guardrails, kano
from value_engine.survey.models import Instrument, Priority, Scale, SurveyError


class _NoCitations:
    def find(self, doc_prefix: str, quote: str) -> None:
        return None


NO_CITATIONS = _NoCitations()
NAMES3 = [("value", "quality"), ("brand", "awareness"), ("retention", "loyalty")]


def _noise(n: int, p: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.integers(1, 6, (n, p)).astype(float), rng.integers(1, 6, n).astype(float)


def _plain(html: str) -> str:
    from bot.render import plain

    return plain(html)


# --- reproduction 1: advice from noise ------------------------------------------------------
def test_ten_random_respondents_get_no_driver_advice_and_are_told_how_many_more() -> None:
    x, y = _noise(10, 3, seed=4)
    report = drivers.analyse(NAMES3, x, y, Scale(5))
    assert advice.equity_advice(report, NO_CITATIONS) == []
    assert not report.significant and report.needed == max(50 + 8 * 3, 104 + 3)
    assert report.adj_r2 < report.r2 and 0.0 <= report.f_p_value <= 1.0
    assert all(d.priority is Priority.UNCLEAR for d in report.drivers)
    card = _plain(equity_html(report, None, Lang.EN))
    assert "Not enough answers" in card and f"{report.needed - 10} more" in card
    assert "fix first" not in card and "keep up" not in card


def test_a_real_effect_on_enough_answers_is_significant_and_advised() -> None:
    rng = np.random.default_rng(21)
    x = rng.integers(1, 6, (400, 3)).astype(float)
    x[:, 0] = rng.integers(1, 4, 400)  # rated low: performs below the others
    y = np.clip(np.rint(0.5 + 0.9 * x[:, 0] + rng.normal(0, 0.7, 400)), 1, 5)
    report = drivers.analyse(NAMES3, x, y, Scale(5))
    assert report.significant and report.f_p_value < 1e-10
    top = report.drivers[0]
    assert top.driver == "quality" and top.effect == "helps" and top.p_value < 1e-10
    assert top.priority is Priority.FIX_FIRST
    assert top.share_low < top.share < top.share_high and top.share_low > 0.5
    found = advice.equity_advice(report, NO_CITATIONS)
    assert found[0].strategy == "equity_focus" and "quality" in found[0].action["en"]


def test_the_demo_clv_outcome_explains_nothing_and_gets_no_advice(
    demo_engine: tuple[Engine, SurveyService],  # noqa: F811
) -> None:
    result = demo_engine[1].result(Instrument.EQUITY, outcome="clv")
    assert result.equity is not None and result.equity.f_p_value > 0.05
    assert result.advice == ()
    card = _plain(equity_html(result.equity, None, Lang.EN))
    assert "do not explain" in card


def test_one_kano_respondent_gets_no_advice() -> None:
    report = kano.analyse(["F1"], np.array([0]), np.array([1]), np.array([5]), respondents=1)
    (f1,) = report.features
    assert not f1.significant and f1.needed > 0
    assert advice.kano_advice(report, NO_CITATIONS) == []
    card = _plain(kano_html(report, None, Lang.EN))
    assert "Not enough answers" in card


def _tied_single_respondent() -> delivered.DeliveredData:
    # product is 2 short of the top, time cost 2 above the bottom: a tie for weakest.
    return delivered.DeliveredData(
        respondent_ids=["r1"],
        customer_ids=[None],
        segments=[None],
        components=["product", "service", "monetary", "time"],
        ratings=np.array([[3.0, 5.0, 1.0, 3.0]]),
        weights=np.ones((1, 4)),
    )


def test_one_delivered_value_respondent_gets_no_advice_and_a_tie_is_named() -> None:
    report = delivered.analyse(_tied_single_respondent(), Scale(5))
    assert report.overall.weakest_tied == ["product", "time"]
    assert advice.delivered_advice(report, NO_CITATIONS) == []
    card = _plain(delivered_html(report, Lang.EN))
    assert "product value" in card and "time cost" in card and "tied" in card
    assert "Not enough answers" in card


# --- reproduction 2: direction ----------------------------------------------------------------
def _one_driver_hurts(seed: int = 5) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    n = 500
    x = rng.normal(3, 1, (n, 3))
    z = (x - x.mean(axis=0)) / x.std(axis=0)
    y = -0.6 * z[:, 0] + 0.25 * z[:, 1] + 0.15 * z[:, 2] + rng.normal(0, 0.7, n)
    return np.clip(x, 1, 5), np.clip(3 + y, 1, 5)


def test_a_driver_that_hurts_is_never_kept_up_or_invested_in() -> None:
    x, y = _one_driver_hurts()
    report = drivers.analyse(NAMES3, x, y, Scale(5))
    top = report.drivers[0]
    assert top.driver == "quality" and top.share > 0.5
    assert top.beta < -0.4 and top.effect == "hurts"
    assert top.priority is Priority.HURTS
    assert {d.driver: d.effect for d in report.drivers[1:]} == {
        "awareness": "helps",
        "loyalty": "helps",
    }
    card = _plain(equity_html(report, None, Lang.EN))
    assert "quality" in card and "hurts" in card and "keep up" not in card.split("quality")[1][:80]
    for rec in advice.equity_advice(report, NO_CITATIONS):
        assert "quality" not in rec.action["en"]


# --- reproduction 3: the outcome is range-checked -------------------------------------------
@pytest.mark.parametrize("typo", [99.0, 1e308, 0.0])
def test_an_outcome_off_the_scale_is_refused_with_its_respondent(typo: float) -> None:
    x, y = _noise(200, 3, seed=9)
    y[17] = typo
    labels = [f"R{i}" for i in range(200)]
    with pytest.raises(SurveyError) as refused:
        drivers.analyse(NAMES3, x, y, Scale(5), labels=labels)
    assert refused.value.code == "outcome_off_scale"
    assert "R17" in str(refused.value.values["rows"])


def test_a_clv_outcome_is_not_held_to_the_rating_scale() -> None:
    x, y = _noise(200, 3, seed=9)
    report = drivers.analyse(NAMES3, x, y * 100, Scale(5), outcome_name="clv")
    assert np.isfinite(report.r2)


# --- reproduction 6: overall delivered value ------------------------------------------------
def test_overall_delivered_value_is_the_mean_of_the_respondents_own() -> None:
    data = delivered.DeliveredData(
        respondent_ids=["r1", "r2"],
        customer_ids=[None, None],
        segments=[None, None],
        components=["product", "service", "monetary"],
        ratings=np.array([[5.0, 1.0, 1.0], [1.0, 5.0, 1.0]]),
        weights=np.array([[5.0, 1.0, 1.0], [1.0, 5.0, 1.0]]),
    )
    report = delivered.analyse(data, Scale(5))
    assert report.overall.total_value == pytest.approx(26 / 6)  # not 3.00
    assert report.overall.delivered == pytest.approx(26 / 6 - 1)
    assert report.overall.share_negative == 0.0
    card = _plain(delivered_html(report, Lang.EN))
    assert "4.33" in card


def test_the_demo_overall_value_and_the_share_below_zero(
    demo_engine: tuple[Engine, SurveyService],  # noqa: F811
) -> None:
    found = demo_engine[1].result(Instrument.DELIVERED).delivered
    assert found is not None
    own = np.array([r.delivered for r in found.respondents])
    assert found.overall.delivered == pytest.approx(own.mean(), abs=1e-12)
    assert found.overall.share_negative == pytest.approx((own < 0).mean())
    assert found.overall.delivered_low < found.overall.delivered < found.overall.delivered_high
    assert found.overall.weakest == "time" and found.overall.weakest_clear


# --- Kano quality ----------------------------------------------------------------------------
def test_fong_test_and_strengths_on_clear_and_mixed_features() -> None:
    # 60 M, 20 O, 15 I, 5 A: M clearly wins. 40 M, 36 O, 24 I: M and O are a mix.
    def answers(counts: dict[str, int]) -> tuple[np.ndarray, np.ndarray]:
        pairs = {"A": (1, 3), "O": (1, 5), "M": (3, 5), "I": (3, 3), "R": (5, 1), "Q": (1, 1)}
        f = np.concatenate([np.full(n, pairs[c][0]) for c, n in counts.items()])
        d = np.concatenate([np.full(n, pairs[c][1]) for c, n in counts.items()])
        return f, d

    f1, d1 = answers({"M": 60, "O": 20, "I": 15, "A": 5})
    f2, d2 = answers({"M": 40, "O": 36, "I": 24})
    report = kano.analyse(
        ["clear", "mixed"],
        np.concatenate([np.zeros(100, int), np.ones(100, int)]),
        np.concatenate([f1, f2]),
        np.concatenate([d1, d2]),
        respondents=100,
    )
    clear, mixed = report.features
    assert clear.significant and clear.strength == pytest.approx(0.40)
    assert clear.total_strength == pytest.approx(0.85)
    assert not mixed.significant and mixed.runner_up == "O"
    assert mixed.strength == pytest.approx(0.04)
    assert guardrails.fong(40, 36, 100)[0] is False and guardrails.fong(60, 20, 100)[0] is True
    assert clear.better_low < clear.better < clear.better_high
    assert clear.worse_low < clear.worse < clear.worse_high
    assert [r.strategy for r in advice.kano_advice(report, NO_CITATIONS)] == ["kano_basics"]
    card = _plain(kano_html(report, None, Lang.EN))
    assert "M/O" in card and "M 60 · O 20 · A 5 · I 15" in card


def test_random_kano_answers_are_flagged() -> None:
    rng = np.random.default_rng(3)
    n = 2000
    report = kano.analyse(
        ["a", "b"],
        np.tile([0, 1], n),
        rng.integers(1, 6, 2 * n),
        rng.integers(1, 6, 2 * n),
        respondents=n,
    )
    assert report.reverse_share == pytest.approx(0.28, abs=0.02)
    assert report.questionable_share == pytest.approx(0.08, abs=0.01)
    assert report.doubtful and all(f.doubtful for f in report.features)
    assert advice.kano_advice(report, NO_CITATIONS) == []
    card = _plain(kano_html(report, None, Lang.EN))
    assert "reverse" in card and "questionable" in card and "28%" in card


# --- segment comparison ----------------------------------------------------------------------
def _kano_by_segment(shift: bool) -> dict[str, kano.KanoReport]:
    rng = np.random.default_rng(8)
    reports = {}
    for segment, category in (("retail", "M"), ("online", "A" if shift else "M")):
        pair = {"M": (3, 5), "A": (1, 3)}[category]
        f = np.where(rng.random(300) < 0.8, pair[0], rng.integers(1, 6, 300))
        d = np.where(rng.random(300) < 0.8, pair[1], rng.integers(1, 6, 300))
        f2 = np.where(rng.random(300) < 0.8, 3, rng.integers(1, 6, 300))
        d2 = np.where(rng.random(300) < 0.8, 3, rng.integers(1, 6, 300))
        reports[segment] = kano.analyse(
            ["Gift wrap", "Fast delivery"],
            np.repeat([0, 1], 300),
            np.concatenate([f, f2]),
            np.concatenate([d, d2]),
            respondents=300,
        )
    return reports


def test_segment_comparison_names_features_and_says_which_differ() -> None:
    reports = _kano_by_segment(shift=True)
    rows: list[tuple[str, SurveyResult | SurveyError]] = [
        (name, SurveyResult(Instrument.KANO, name, kano=r)) for name, r in reports.items()
    ]
    text = _plain(compare_html(Instrument.KANO, rows, Lang.EN))
    assert "Gift wrap" in text and "Fast delivery" in text
    gift = next(line for line in text.splitlines() if "Gift wrap" in line)
    fast = next(line for line in text.splitlines() if "Fast delivery" in line)
    assert "segments differ" in gift and "p < 0.001" in gift
    assert "no clear difference" in fast
    same = _kano_by_segment(shift=False)
    from value_engine.survey.segments import compare_kano

    assert not any(c.differs for c in compare_kano(same))
    assert [c.differs for c in compare_kano(reports)] == [True, False]


def test_intervals_are_seeded_and_repeatable() -> None:
    x, y = _one_driver_hurts(seed=11)
    first = drivers.analyse(NAMES3, x, y, Scale(5))
    again = drivers.analyse(NAMES3, x, y, Scale(5))
    assert [(d.weight_low, d.weight_high) for d in first.drivers] == [
        (d.weight_low, d.weight_high) for d in again.drivers
    ]
    for d in first.drivers:
        assert d.weight_low <= d.weight <= d.weight_high
