"""Charts that read well (issue 15): every chart type in every language, as the bot sends
it, with no two tick labels overlapping and no character drawn as an empty box."""

from __future__ import annotations

import itertools

import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import findfont, get_font
from matplotlib.text import Text

from bot import charts
from bot.factory import Services
from bot.render.value import breakdown_chart_labels, segment_name, segments_chart_labels
from bot.routers.quiz import topic_name
from bot.texts import t
from knowledge.models import Lang

LANGS = [Lang.EN, Lang.ZH_HANT, Lang.ZH_HANS]
TOPICS = ["perceived_value", "delivered_value", "kano", "clv", "customer_equity", "pareto"]


def _drawn(fig: Figure) -> FigureCanvasAgg:
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return canvas


def _assert_reads_well(fig: Figure) -> None:
    renderer = _drawn(fig).get_renderer()
    for ax in fig.axes:
        for ticks in (ax.get_xticklabels(), ax.get_yticklabels()):
            shown = [tick for tick in ticks if tick.get_visible() and tick.get_text().strip()]
            boxes = [tick.get_window_extent(renderer) for tick in shown]
            for (a, box_a), (b, box_b) in itertools.combinations(zip(shown, boxes, strict=True), 2):
                assert not box_a.overlaps(box_b), (a.get_text(), b.get_text())
    for text in fig.findobj(Text):
        content = text.get_text()
        if not content.strip() or not text.get_visible():
            continue
        font = get_font(findfont(text.get_fontproperties()))
        missing = [ch for ch in content if ch.strip() and font.get_char_index(ord(ch)) == 0]
        assert not missing, (content, missing)
        assert text.get_fontsize() >= 7, content  # numbers on bars stay readable


@pytest.mark.parametrize("lang", LANGS)
def test_breakdown_chart_reads_well(demo_services: Services, lang: Lang) -> None:
    breakdown = demo_services.value.breakdown("C-1042")
    assert breakdown is not None
    _assert_reads_well(charts.breakdown_figure(breakdown, breakdown_chart_labels(lang)))


@pytest.mark.parametrize("lang", LANGS)
def test_segments_chart_reads_well(demo_services: Services, lang: Lang) -> None:
    stats = demo_services.value.segments()
    names = {s.segment.value: segment_name(s.segment.value, lang) for s in stats}
    _assert_reads_well(charts.segments_figure(stats, names, segments_chart_labels(lang)))


@pytest.mark.parametrize("lang", LANGS)
def test_quiz_topic_chart_reads_well(lang: Lang) -> None:
    results = [
        (topic_name(topic, lang), share)
        for topic, share in zip(TOPICS, [1, 0.5, 0.83, 0, 0.25, 0.6], strict=True)
    ]
    _assert_reads_well(charts.topic_figure(results, t("quiz_by_topic", lang)))


def test_the_english_breakdown_labels_used_to_overlap(demo_services: Services) -> None:
    """The reproduction: unwrapped, "Realized value" and "Potential value" collide."""
    breakdown = demo_services.value.breakdown("C-1042")
    assert breakdown is not None
    labels = breakdown_chart_labels(Lang.EN)
    fig = charts.breakdown_figure(breakdown, labels)
    left = fig.axes[0]
    left.set_xticks(
        left.get_xticks(), [labels["realized"], labels["potential"], labels["influence"]]
    )
    with pytest.raises(AssertionError):
        _assert_reads_well(fig)


@pytest.mark.parametrize("lang", LANGS)
def test_survey_charts_read_well(demo_services: Services, lang: Lang) -> None:
    from bot.charts import survey as survey_charts
    from bot.render.survey import survey_chart_labels
    from value_engine.survey.models import Instrument

    surveys = demo_services.surveys
    delivered = surveys.result(Instrument.DELIVERED).delivered
    kano = surveys.result(Instrument.KANO).kano
    equity = surveys.result(Instrument.EQUITY).equity
    assert delivered is not None and kano is not None and equity is not None
    assert delivered.overall.relative_value is not None  # the value map is drawn too
    labels = survey_chart_labels(lang, delivered.overall.competitor)
    _assert_reads_well(survey_charts.delivered_figure(delivered, labels))
    _assert_reads_well(survey_charts.kano_figure(kano, labels))
    _assert_reads_well(survey_charts.equity_figure(equity, labels))
