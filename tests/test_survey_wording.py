"""Issue 25's smaller points: what the survey advice and charts say, word for word."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bot.render.survey import survey_chart_labels
from knowledge.models import Lang
from value_engine.survey import advice, delivered, drivers
from value_engine.survey.models import COST_COMPONENTS, VALUE_COMPONENTS, EquityReport, Scale


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
        "quality weighs more" in focus.action["en"] and "and performs below" in focus.action["en"]
    )
    assert "weigh more" not in focus.action["en"].replace("weighs more", "")
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


# --- review of issue 25: what a manager reads, as a market researcher would check it ---


def test_a_file_refused_for_one_row_says_one_row() -> None:
    from bot.customers.import_report import ImportKind, ImportReport
    from bot.render.value import import_html

    report = ImportReport(kind=ImportKind.SURVEY)
    report.error(5, "empty_file")
    text = import_html(report, "q.csv", Lang.EN)
    assert "1 row has a problem" in text and "1 rows" not in text
    report.error(6, "empty_file")
    assert "2 rows have problems" in import_html(report, "q.csv", Lang.EN)


def test_one_delivered_value_respondent_is_not_one_respondents() -> None:
    from bot.render.survey import delivered_limits

    components = [*VALUE_COMPONENTS, *COST_COMPONENTS]
    data = delivered.DeliveredData(
        respondent_ids=["r1"],
        customer_ids=[None],
        segments=[None],
        components=components,
        ratings=np.array([[3, 3, 3, 3, 2, 3, 3, 3]], dtype=float),
        weights=np.ones((1, 8)),
    )
    text = "\n".join(delivered_limits(delivered.analyse(data, Scale(5)), Lang.EN))
    assert "1 respondent," in text and "1 respondents" not in text


def test_an_adjusted_r2_just_below_zero_is_not_minus_zero() -> None:
    from bot.render.value import pct

    assert pct(-0.002) == "0%" and pct(-0.02) == "-2%" and pct(0.004) == "0%"


def _heavy_and_fix_first() -> EquityReport:
    """Quality weighs most and performs well; service weighs second and performs worst."""
    rng = np.random.default_rng(4)
    n = 1000
    quality = rng.integers(3, 6, n).astype(float)
    service = rng.integers(1, 4, n).astype(float)
    others = rng.integers(2, 6, (n, 2)).astype(float)
    y = 2.0 * quality + 1.4 * service + 0.2 * others.sum(axis=1) + rng.normal(size=n)
    y = np.clip(np.rint(y), 1, 20)
    names = [("value", "quality"), ("retention", "service"), ("brand", "p"), ("brand", "q")]
    return drivers.analyse(names, np.column_stack([quality, service, others]), y, Scale(20))


def test_a_driver_to_fix_first_that_is_not_the_heaviest_is_not_said_to_weigh_most() -> None:
    report = _heavy_and_fix_first()
    assert report.drivers[0].driver == "quality"
    assert [d.driver for d in report.fix_first] == ["service"]
    focus = next(
        r for r in advice.equity_advice(report, _NoCitations()) if r.strategy == "equity_focus"
    )
    assert "weighs most" not in focus.action["en"]
    assert "service weighs more than the average driver" in focus.action["en"]
    assert "影響最大" not in focus.action["zh-Hant"] and "高於平均" in focus.action["zh-Hant"]


def _with_a_hurting_driver() -> EquityReport:
    rng = np.random.default_rng(12)
    n = 300
    quality = rng.integers(1, 4, n).astype(float)
    price = rng.integers(2, 6, n).astype(float)
    others = rng.integers(2, 6, (n, 2)).astype(float)
    y = 2 + 0.9 * quality - 0.5 * price + 0.2 * others[:, 0] + rng.normal(0, 0.7, n)
    names = [("value", "quality"), ("value", "price_level"), ("brand", "a"), ("brand", "b")]
    return drivers.analyse(
        names, np.column_stack([quality, price, others]), np.clip(np.rint(y), 1, 5), Scale(5)
    )


def test_the_advice_card_warns_of_a_hurting_driver_and_not_as_a_gap() -> None:
    from bot.render.survey import survey_advice_html
    from bot.surveys.service import SurveyResult
    from value_engine.survey.models import Effect, Instrument

    report = _with_a_hurting_driver()
    # b has no effect in truth; in this sample it comes out negative too: two that hurt
    assert report.significant and [d.driver for d in report.hurting] == ["price_level", "b"]
    assert [d.driver for d in report.fix_first] == ["quality"]
    for found in (advice.equity_advice(report, _NoCitations()), []):
        result = SurveyResult(Instrument.EQUITY, None, equity=report, advice=tuple(found))
        card = survey_advice_html(result, Lang.EN)
        assert "price_level, b</b> hurt:" in card, card
        assert "cannot tell" not in card, card
    assert all(d.effect is not Effect.UNCLEAR for d in report.drivers[:2])


def test_a_driver_of_a_model_too_small_to_rank_is_not_ranked_rather_than_without_effect() -> None:
    from bot.render.survey import equity_html

    rng = np.random.default_rng(3)
    n = 40
    x = rng.integers(1, 6, (n, 3)).astype(float)
    y = np.clip(np.rint(0.8 * x[:, 0] + rng.normal(0, 0.5, n)), 1, 5)
    report = drivers.analyse([("value", "a"), ("value", "b"), ("brand", "c")], x, y, Scale(5))
    assert not report.sufficient and report.drivers[0].driver == "a"
    row = next(line for line in equity_html(report, None, Lang.EN).splitlines() if " a:" in line)
    assert "↑ raises" in row and "no clear effect" not in row and "not ranked yet" in row


def test_a_waves_mean_intention_has_no_plus_sign() -> None:
    from bot.render.survey import survey_html
    from bot.surveys.service import SurveyResult
    from value_engine.survey.models import Instrument
    from value_engine.survey.waves import WaveRow

    report = _with_a_hurting_driver()
    waves = (WaveRow("Q1", 300, 3.2), WaveRow("Q2", 300, 3.8, 0.6, 0.01))
    result = SurveyResult(Instrument.EQUITY, None, equity=report, wave="Q2", waves=waves)
    text = survey_html(result, Lang.EN)
    assert "mean outcome 3.20" in text and "mean outcome 3.80 (+0.60" in text


def test_chinese_lists_of_names_are_joined_with_the_enumeration_comma() -> None:
    from bot.render.survey import delivered_limits

    components = [*VALUE_COMPONENTS, *COST_COMPONENTS]
    data = delivered.DeliveredData(
        respondent_ids=["r1", "r2"],
        customer_ids=[None, None],
        segments=[None, None],
        components=components,
        ratings=np.array([[3] * 8, [3] * 8], dtype=float),
        weights=np.ones((2, 8)),
    )
    report = delivered.analyse(data, Scale(5))
    text = "\n".join(delivered_limits(report, Lang.ZH_HANT))
    assert "產品價值、服務價值" in text and ", " not in text


def test_the_csv_export_carries_what_the_card_says(tmp_path: Path) -> None:
    """Direction, intervals and whether a finding is settled are on the card; a manager
    who opens the spreadsheet must not read a hurting driver or a one-answer Kano category
    as a plain number. Undefined bounds are blank, never "nan"."""
    import csv

    from bot.surveys.export import export
    from bot.surveys.service import SurveyResult
    from value_engine.survey import kano
    from value_engine.survey.models import Instrument

    equity = _with_a_hurting_driver()
    one = kano.analyse(["F1"], np.array([0]), np.array([1]), np.array([5]), respondents=1)
    components = [*VALUE_COMPONENTS, *COST_COMPONENTS]
    data = delivered.DeliveredData(
        respondent_ids=["r1", "r2"],
        customer_ids=[None, None],
        segments=["a", "a"],
        components=components,
        ratings=np.array([[4] * 4 + [2] * 4, [2] * 4 + [4] * 4], dtype=float),
        weights=np.ones((2, 8)),
    )
    results = [
        SurveyResult(Instrument.EQUITY, None, equity=equity, wave="Q1"),
        SurveyResult(Instrument.KANO, None, kano=one, wave="Q1"),
        SurveyResult(
            Instrument.DELIVERED, None, delivered=delivered.analyse(data, Scale(5)), wave="Q1"
        ),
    ]
    export(results, tmp_path)

    def rows(name: str) -> list[dict[str, str]]:
        with (tmp_path / name).open(encoding="utf-8-sig") as handle:
            return list(csv.DictReader(handle))

    drivers_csv = {r["driver"]: r for r in rows("equity_drivers.csv")}
    price = drivers_csv["price_level"]
    assert price["direction"] == "hurts" and price["priority"] == "hurts"
    assert float(price["share_low"]) < float(price["share"]) < float(price["share_high"])
    assert price["enough_answers"] == "True" and float(price["f_p_value"]) < 0.05
    (f1,) = rows("kano.csv")
    assert f1["settled"] == "False" and f1["better_low"] == "1.0"
    (overall,) = [r for r in rows("delivered_value_summary.csv") if not r["segment"]]
    assert float(overall["delivered_value"]) == 0.0 and overall["share_negative"] == "0.5"
    for name in ("equity_drivers.csv", "kano.csv", "delivered_value_summary.csv"):
        assert "nan" not in (tmp_path / name).read_text(encoding="utf-8-sig").lower()
