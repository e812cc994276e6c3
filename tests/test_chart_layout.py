"""Charts that read well (issue 15): every chart type in every language, as the bot sends
it, with no two tick labels overlapping and no character drawn as an empty box."""

from __future__ import annotations

import itertools
from dataclasses import replace

import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import findfont, get_font
from matplotlib.text import Text
from PIL import Image, ImageDraw

from bot import charts
from bot.charts.breakdown import HEIGHT, WIDTH, Drawing, breakdown_drawing, pil_font
from bot.factory import Services
from bot.render.value import breakdown_chart_labels, segment_name, segments_chart_labels
from bot.routers.quiz import topic_name
from bot.texts import t
from knowledge.models import Lang
from value_engine.models import CustomerBreakdown, PeriodValue

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


NOT_IN_ANY_FONT = "\U000f0000"  # private use: drawn as the font's missing-glyph box


def _glyph(text: str, size: int = 16) -> bytes:
    image = Image.new("L", (size * 2, size * 2))
    ImageDraw.Draw(image).text((2, 2), text, font=pil_font(size), fill=255)
    return image.tobytes()


def _assert_drawing_reads_well(drawing: Drawing) -> None:
    """Pillow's counterpart of `_assert_reads_well`: every text inside the picture, no two
    texts over each other, none shrunk below 8 px, no character drawn as the box."""
    assert drawing.image.size == (WIDTH, HEIGHT)
    box = _glyph(NOT_IN_ANY_FONT)
    for drawn in drawing.texts:
        left, top, right, bottom = drawn.box
        assert left >= 0 and top >= 0 and right <= WIDTH and bottom <= HEIGHT, drawn
        assert drawn.size >= 8, drawn
        missing = [ch for ch in drawn.text if ch.strip() and _glyph(ch) == box]
        assert not missing, (drawn.text, missing)
    for a, b in itertools.combinations(drawing.texts, 2):
        apart = (
            a.box[2] <= b.box[0]
            or b.box[2] <= a.box[0]
            or a.box[3] <= b.box[1]
            or b.box[3] <= a.box[1]
        )
        assert apart, (a, b)


def test_the_breakdown_font_draws_chinese() -> None:
    """Two different characters, Traditional and Simplified, draw as two different
    glyphs, neither the missing-glyph box: a font without CJK draws all three alike."""
    box = _glyph(NOT_IN_ANY_FONT)
    glyphs = {_glyph(ch) for ch in "戶户價"}
    assert len(glyphs) == 3 and box not in glyphs
    assert _glyph("客") != _glyph(" ")  # and a glyph is not blank either


@pytest.mark.parametrize("lang", LANGS)
def test_breakdown_chart_reads_well(demo_services: Services, lang: Lang) -> None:
    breakdown = demo_services.value.breakdown("C-1042")
    assert breakdown is not None
    drawing = breakdown_drawing(breakdown, breakdown_chart_labels(lang))
    _assert_drawing_reads_well(drawing)
    roles = [drawn.role for drawn in drawing.texts]
    assert roles.count("title") == 1 and roles.count("panel_title") == 2
    assert roles.count("value") == 3 and roles.count("category") >= 3
    assert drawing.texts[0].text == f"{breakdown.customer_id} {breakdown.name}"
    assert roles.count("period") >= len(breakdown.history) and "tick" in roles


def _colours(drawing: Drawing) -> set[str]:
    colours = drawing.image.getcolors(maxcolors=WIDTH * HEIGHT)
    assert colours is not None
    return {"#{:02x}{:02x}{:02x}".format(*rgb) for _, rgb in colours}


def _with(
    breakdown: CustomerBreakdown,
    values: tuple[float, float, float],
    profits: list[float],
    name: str | None = None,
) -> CustomerBreakdown:
    score = replace(
        breakdown.score,
        realized_value=values[0],
        potential_value=values[1],
        influence_value=values[2],
    )
    history = [
        PeriodValue(f"{2024 + i // 4}-Q{i % 4 + 1}", revenue=abs(p), profit=p)
        for i, p in enumerate(profits)
    ]
    return replace(breakdown, score=score, history=history, name=name or breakdown.name)


ODD = {
    "losses": ((-1234.5, 5678, 12), [300, -120, 50, -800, 0, 1200, 40, 2, -3, 700, 650, -45]),
    "no history": ((0, 0, 0), [0.0] * 12),
    "no periods": ((10, 0, 0), []),
    "huge": ((1.2e15, 9.9e9, 0.4), [1e12, 5e11, -3e11, 2e9]),
    "tiny": ((0.004, 0.5, 0), [0.01, -0.02]),
    "one period": ((50, 20, 5), [42]),
    "twelve periods": ((50, 20, 5), [float(i * 37 % 11 - 3) for i in range(12)]),
    "not finite": ((float("nan"), float("inf"), 1), [float("nan"), 3]),
}


@pytest.mark.parametrize("case", ODD)
@pytest.mark.parametrize("lang", [Lang.EN, Lang.ZH_HANT])
def test_odd_breakdowns_stay_in_the_picture(demo_services: Services, case: str, lang: Lang) -> None:
    """Losses, no history, huge and tiny values, 1 to 12 quarters: drawn, read well."""
    found = demo_services.value.breakdown("C-1042")
    assert found is not None
    values, profits = ODD[case]
    breakdown = _with(found, values, profits)
    labels = breakdown_chart_labels(lang)
    drawing = breakdown_drawing(breakdown, labels)
    _assert_drawing_reads_well(drawing)
    notes = [drawn.text for drawn in drawing.texts if drawn.role == "note"]
    assert notes == ([labels["no_history"]] if not any(p for p in profits if p == p) else [])
    colours = _colours(drawing)
    assert ("#c62828" in colours) == any(p < 0 for p in profits)  # losses in red
    assert ("#546e7a" in colours) == bool(profits)


def test_a_long_name_is_shortened_not_cut_off(demo_services: Services) -> None:
    found = demo_services.value.breakdown("C-1042")
    assert found is not None
    name = "國際綜合精密工程控股有限公司 International Consolidated Widgets Holdings " * 3
    drawing = breakdown_drawing(replace(found, name=name), breakdown_chart_labels(Lang.ZH_HANS))
    _assert_drawing_reads_well(drawing)
    title = drawing.texts[0]
    assert title.role == "title" and title.text.endswith("…")
    assert title.text.startswith(f"{found.customer_id} 國際綜合")


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
