"""Issue 25's smaller points: what the survey advice and charts say, word for word."""

from __future__ import annotations

import numpy as np

from bot.render.survey import survey_chart_labels
from knowledge.models import Lang
from value_engine.survey import advice, delivered, drivers
from value_engine.survey.models import COST_COMPONENTS, VALUE_COMPONENTS, Scale


class _NoCitations:
    def find(self, doc_prefix: str, quote: str) -> None:
        return None


def test_one_driver_to_fix_first_weighs_and_performs_in_the_singular() -> None:
    rng = np.random.default_rng(1)
    n = 1000
    weak_but_heavy = rng.integers(1, 4, n).astype(float)
    others = rng.integers(2, 6, (n, 3)).astype(float)
    y = 2.0 * weak_but_heavy + 0.3 * others.sum(axis=1) + rng.normal(size=n)
    names = [("value", "quality"), ("value", "p"), ("value", "q"), ("brand", "r")]
    y = np.clip(np.rint(y), 1, 20)  # an outcome on its own 1-20 scale, as the guardrails want
    report = drivers.analyse(names, np.column_stack([weak_but_heavy, others]), y, Scale(20))
    assert [d.driver for d in report.fix_first] == ["quality"]
    focus = next(
        r for r in advice.equity_advice(report, _NoCitations()) if r.strategy == "equity_focus"
    )
    assert (
        "quality weighs most" in focus.action["en"] and "and performs below" in focus.action["en"]
    )
    assert "weigh most" not in focus.action["en"].replace("weighs most", "")
    assert focus.reason["en"] == "An important driver performing below average."


def test_a_competitor_whose_name_ends_in_a_full_stop_gets_no_second_one() -> None:
    components = [*VALUE_COMPONENTS, *COST_COMPONENTS]
    pair = [[3, 3, 3, 3, 3, 3, 3, 3], [2, 3, 3, 3, 4, 3, 3, 3]]
    ratings = np.array(pair * 20, dtype=float)  # 40 respondents: enough for advice
    theirs = np.array([[5, 5, 5, 5, 1, 1, 1, 1]] * 40, dtype=float)
    data = delivered.DeliveredData(
        respondent_ids=[f"r{i}" for i in range(40)],
        customer_ids=[None] * 40,
        segments=[None] * 40,
        components=components,
        ratings=ratings,
        weights=np.ones_like(ratings),
        competitor_ratings=theirs,
        competitor="Rival Co.",
    )
    report = delivered.analyse(data, Scale(5))
    assert report.overall.map_position == "worse"
    behind = next(
        r
        for r in advice.delivered_advice(report, _NoCitations())
        if r.strategy == "value_map_behind"
    )
    assert behind.reason["en"] == "Below the fair-value line against Rival Co."


def test_the_value_map_axes_say_which_side_is_better() -> None:
    for lang in Lang:
        labels = survey_chart_labels(lang)
        assert labels["map_x"] != labels["map_y"]
    en = survey_chart_labels(Lang.EN)
    assert "lower is better" in en["map_x"] and "higher is better" in en["map_y"]
    assert "越低越好" in survey_chart_labels(Lang.ZH_HANT)["map_x"]
    assert "越高越好" in survey_chart_labels(Lang.ZH_HANS)["map_y"]
