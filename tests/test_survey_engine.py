"""The survey engine (issue 12): Kano table and coefficients, exact Shapley and Johnson's
relative weights, delivered value, the link to retention, and advice citing real passages."""

from __future__ import annotations

from dataclasses import replace
from itertools import combinations
from math import factorial

import numpy as np
import pytest

from bot.config import PACKAGE_CORPUS
from knowledge.chunking import current_chunks
from knowledge.citations import CorpusLookup
from value_engine.survey import advice, delivered, drivers, kano, retention
from value_engine.survey.models import (
    COST_COMPONENTS,
    VALUE_COMPONENTS,
    KanoCategory,
    Priority,
    Scale,
    SurveyError,
)

# The Kano evaluation table as printed in Berger et al. (1993), Center for Quality of
# Management Journal 2(4), rows = functional answer, columns = dysfunctional answer, both
# in the order like, must-be, neutral, live with, dislike.
PUBLISHED_TABLE = ("QAAAO", "RIIIM", "RIIIM", "RIIIM", "RRRRQ")


def test_every_answer_pair_is_classified_as_the_published_table_says() -> None:
    pairs = [(f, d) for f in range(1, 6) for d in range(1, 6)]
    got = kano.classify(np.array([p[0] for p in pairs]), np.array([p[1] for p in pairs]))
    letters = [kano.CATEGORIES[c].value for c in got]
    assert letters == [PUBLISHED_TABLE[f - 1][d - 1] for f, d in pairs]
    # The table's meaning, spelled out: like it / dislike its absence = one-dimensional ...
    assert kano.CATEGORIES[kano.classify(np.array([1]), np.array([5]))[0]] == "O"
    assert kano.CATEGORIES[kano.classify(np.array([3]), np.array([5]))[0]] == "M"
    assert kano.CATEGORIES[kano.classify(np.array([1]), np.array([3]))[0]] == "A"
    with pytest.raises(SurveyError):
        kano.classify(np.array([0]), np.array([3]))


def test_better_and_worse_on_a_published_worked_example() -> None:
    """Sauerwein, Bailom, Matzler & Hinterhuber (1996), "The Kano model: how to delight your
    customers", IX International Working Seminar on Production Economics, Innsbruck: the
    ski survey's "edge grip" row (A 7.0%, O 32.3%, M 49.3%, I 10.4%, R 0%, Q 1.0%) is a
    must-be requirement with extent of satisfaction (A+O)/(A+O+M+I) = 0.40 and of
    dissatisfaction -(O+M)/(A+O+M+I) = -0.82. As counts of 1,000 answers:"""
    counts = {"A": 70, "O": 323, "M": 493, "I": 104, "R": 0, "Q": 10}
    pairs = {"A": (1, 3), "O": (1, 5), "M": (3, 5), "I": (3, 3), "R": (5, 1), "Q": (1, 1)}
    f = np.concatenate([np.full(n, pairs[c][0]) for c, n in counts.items()])
    d = np.concatenate([np.full(n, pairs[c][1]) for c, n in counts.items()])
    report = kano.analyse(["edge grip"], np.zeros(f.size, dtype=int), f, d, respondents=1000)
    edge = report.features[0]
    assert edge.counts == counts
    assert edge.category is KanoCategory.MUST_BE and edge.level == "Q1"
    assert edge.better == pytest.approx(0.397, abs=0.001)
    assert edge.worse == pytest.approx(-0.824, abs=0.001)


def test_ties_go_to_the_category_that_matters_most_and_empty_features_are_zero() -> None:
    # Two answers A and two M: must-be wins (overlooking a basic costs most).
    report = kano.analyse(
        ["tied", "only questionable"],
        np.array([0, 0, 0, 0, 1]),
        np.array([1, 1, 3, 3, 1]),
        np.array([3, 3, 5, 5, 1]),
    )
    tied, odd = report.features
    assert tied.category is KanoCategory.MUST_BE
    assert odd.category is KanoCategory.QUESTIONABLE and odd.level is None
    assert (odd.better, odd.worse) == (0.0, 0.0)
    assert set(tied.as_json_dict()) == {"feature", "category", "counts", "better", "worse", "level"}


def _brute_force_shapley(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    """Shapley shares of R² from ordinary least squares on the raw data, subset by subset:
    written independently of the engine (no correlation matrix, no bit masks)."""
    n, p = x.shape

    def r2(cols: tuple[int, ...]) -> float:
        design = np.column_stack([np.ones(n), x[:, cols]]) if cols else np.ones((n, 1))
        fitted = design @ np.linalg.lstsq(design, y, rcond=None)[0]
        return 1 - ((y - fitted) ** 2).sum() / ((y - y.mean()) ** 2).sum()

    phi = np.zeros(p)
    for j in range(p):
        others = [k for k in range(p) if k != j]
        for size in range(p):
            for subset in combinations(others, size):
                w = factorial(size) * factorial(p - size - 1) / factorial(p)
                phi[j] += w * (r2(tuple(sorted((*subset, j)))) - r2(subset))
    return phi, r2(tuple(range(p)))


def _correlated(n: int, p: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    common = rng.normal(size=(n, 1))
    x = 0.6 * common + rng.normal(size=(n, p))
    beta = np.linspace(1.0, 0.1, p)
    y = x @ beta + rng.normal(scale=2.0, size=n)
    return x, y


def test_shapley_matches_a_brute_force_decomposition_and_sums_to_r2() -> None:
    x, y = _correlated(400, 4, seed=3)
    expected, full_r2 = _brute_force_shapley(x, y)
    names = [("value", f"d{j}") for j in range(4)]
    report = drivers.analyse(names, x, y, Scale(5), "clv", method="shapley")
    got = {d.driver: d.weight for d in report.drivers}
    assert [got[f"d{j}"] for j in range(4)] == pytest.approx(expected.tolist(), abs=1e-10)
    assert report.r2 == pytest.approx(full_r2, abs=1e-10)
    assert sum(d.weight for d in report.drivers) == pytest.approx(report.r2, abs=1e-12)
    assert sum(d.share for d in report.drivers) == pytest.approx(1.0, abs=1e-12)


def test_relative_weights_approximate_shapley_and_sum_to_r2() -> None:
    x, y = _correlated(2000, 6, seed=5)
    names = [("brand", f"d{j}") for j in range(6)]
    exact = drivers.analyse(names, x, y, Scale(5), "clv", method="shapley")
    approx = drivers.analyse(names, x, y, Scale(5), "clv", method="relative_weights")
    assert approx.method == "relative_weights"
    assert approx.r2 == pytest.approx(exact.r2, abs=1e-10)
    assert sum(d.weight for d in approx.drivers) == pytest.approx(approx.r2, abs=1e-12)
    by_name = {d.driver: d.weight for d in exact.drivers}
    for d in approx.drivers:
        assert d.weight == pytest.approx(by_name[d.driver], abs=0.01)
    assert [d.driver for d in approx.drivers][:3] == [d.driver for d in exact.drivers][:3]


def test_drivers_cope_with_constant_and_duplicated_columns_and_refuse_too_few() -> None:
    x, y = _correlated(300, 3, seed=8)
    x = np.column_stack([x, np.full(300, 4.0), x[:, 0]])  # a constant and a duplicate
    names = [("value", "a"), ("value", "b"), ("brand", "c"), ("brand", "flat"), ("value", "a2")]
    for method in ("shapley", "relative_weights"):
        report = drivers.analyse(names, x, y, Scale(5), "clv", method=method)
        weights = {d.driver: d.weight for d in report.drivers}
        assert weights["flat"] == 0.0 and report.constant == ["flat"]
        assert weights["a"] == pytest.approx(weights["a2"], abs=1e-6)
        assert all(np.isfinite(list(weights.values())))
        assert sum(weights.values()) == pytest.approx(report.r2, abs=1e-9)
    with pytest.raises(SurveyError) as refused:
        drivers.analyse(names, x[:8], y[:8], Scale(5))
    assert refused.value.code == "too_few_respondents"
    with pytest.raises(SurveyError):
        drivers.analyse(names, x, np.ones(300), Scale(5))


def test_importance_performance_names_the_driver_to_fix_first() -> None:
    rng = np.random.default_rng(1)
    n = 1000
    weak_but_heavy = rng.integers(1, 4, n).astype(float)  # rated 1-3: performing badly
    others = rng.integers(2, 6, (n, 3)).astype(float)  # rated 2-5
    y = 2.0 * weak_but_heavy + 0.3 * others.sum(axis=1) + rng.normal(size=n)
    x = np.column_stack([weak_but_heavy, others])
    names = [("retention", "service"), ("value", "p"), ("value", "q"), ("brand", "r")]
    report = drivers.analyse(names, x, y, Scale(5), "clv")
    assert report.drivers[0].driver == "service"
    assert report.drivers[0].priority is Priority.FIX_FIRST
    assert [d.driver for d in report.fix_first] == ["service"]


def _delivered_data(competitor: bool = False) -> delivered.DeliveredData:
    components = [*VALUE_COMPONENTS, *COST_COMPONENTS]
    ratings = np.array(
        [
            [5, 4, 4, 3, 2, 2, 5, 3],  # time cost felt most
            [4, 4, 4, 4, 2, 2, 2, 2],
            [2, 3, 3, 3, 4, 3, 3, 3],
        ],
        dtype=float,
    )
    theirs = np.full_like(ratings, 3.0) if competitor else None
    return delivered.DeliveredData(
        respondent_ids=["r1", "r2", "r3"],
        customer_ids=["C-1", None, "C-3"],
        segments=["retail", "retail", "online"],
        components=components,
        ratings=ratings,
        weights=np.ones_like(ratings),
        competitor_ratings=theirs,
        competitor="Rival",
    )


def test_delivered_value_is_total_value_minus_total_cost() -> None:
    report = delivered.analyse(_delivered_data(), Scale(5))
    r1, r2, r3 = report.respondents
    assert (r1.total_value, r1.total_cost, r1.delivered) == (4.0, 3.0, 1.0)
    assert r1.weakest == "time" and r1.ratio == pytest.approx(4 / 3)
    assert r2.delivered == 2.0 and r3.delivered == pytest.approx(2.75 - 3.25)
    assert r3.weakest == "product"
    overall = report.overall
    assert overall.n == 3 and overall.total_value == pytest.approx((4 + 4 + 2.75) / 3)
    assert [s.segment for s in report.segments] == ["online", "retail"]
    assert overall.relative_value is None and overall.map_position is None
    with pytest.raises(SurveyError):
        delivered.analyse(_delivered_data(), Scale(5), segment="nobody")


def test_importance_weights_and_the_value_map() -> None:
    data = _delivered_data(competitor=True)
    weights = np.ones_like(data.ratings)
    weights[:, VALUE_COMPONENTS.index("product")] = 3.0  # product matters three times more
    data = replace(data, weights=weights)
    report = delivered.analyse(data, Scale(5))
    r1 = report.respondents[0]
    assert r1.total_value == pytest.approx((3 * 5 + 4 + 4 + 3) / 6)
    overall = report.overall
    assert overall.relative_value == pytest.approx(overall.total_value / 3.0)
    assert overall.relative_cost == pytest.approx(overall.total_cost / 3.0)
    assert overall.map_position == "better"


def test_retention_link_sees_planted_relation_and_says_nothing_on_too_few() -> None:
    rng = np.random.default_rng(4)
    p_alive = rng.uniform(0, 1, 500)
    dv = 2 * p_alive + rng.normal(scale=0.5, size=500)
    clv = p_alive * 1000
    link = retention.link(dv, p_alive, clv, p_alive < 0.3)
    assert link is not None and link.rho_p_alive is not None and link.rho_p_alive > 0.5
    assert link.p_value_p_alive is not None and link.p_value_p_alive < 1e-6
    assert len(link.quintiles) == 5 and sum(q.n for q in link.quintiles) == 500
    assert link.quintiles[0].p_alive < link.quintiles[-1].p_alive
    assert link.quintiles[0].at_risk > link.quintiles[-1].at_risk
    assert retention.link(dv[:5], p_alive[:5], clv[:5], p_alive[:5] < 0.3) is None
    flat = retention.link(np.ones(50), p_alive[:50], clv[:50], p_alive[:50] < 0.3)
    assert flat is not None and flat.rho_p_alive is None


@pytest.fixture(scope="module")
def lookup() -> CorpusLookup:
    return CorpusLookup(current_chunks(PACKAGE_CORPUS))


def test_every_piece_of_survey_advice_cites_a_real_passage(lookup: CorpusLookup) -> None:
    table = [
        *advice.WEAKEST.values(),
        advice.VALUE_MAP_WORSE,
        advice.KANO_BASICS,
        advice.KANO_PERFORMANCE,
        advice.KANO_ATTRACTIVE,
        advice.EQUITY_FOCUS,
        *advice.EQUITY_GROUP.values(),
    ]
    for item in table:
        citation = lookup.find(item.doc, item.quote)
        assert citation is not None, item.quote
        assert citation.doc.startswith(item.doc)
    assert set(advice.WEAKEST) == {*VALUE_COMPONENTS, *COST_COMPONENTS}


def test_advice_follows_the_findings(lookup: CorpusLookup) -> None:
    data = _delivered_data()
    many = np.tile(np.arange(3), 20)  # 60 respondents: enough for the guardrails
    data = replace(
        data,
        respondent_ids=[f"r{i}" for i in range(60)],
        customer_ids=[None] * 60,
        segments=[None] * 60,
        ratings=data.ratings[many],
        weights=data.weights[many],
    )
    report = delivered.analyse(data, Scale(5))
    found = advice.delivered_advice(report, lookup)
    assert found[0].strategy == f"weakest_{report.overall.weakest}" == "weakest_time"
    assert found[0].citation is not None
    features = kano.analyse(
        ["login", "dark mode"],
        np.repeat([0, 1], 40),
        np.repeat([3, 1], 40),
        np.repeat([5, 3], 40),
    )
    kano_found = advice.kano_advice(features, lookup)
    assert [r.strategy for r in kano_found] == ["kano_basics", "kano_attractive"]
    assert "login" in kano_found[0].action["en"] and "dark mode" in kano_found[1].action["zh-Hant"]
