"""A customer card's chart costs most of the card's CPU: it is drawn in one pass and kept,
keyed by what it shows, in a cache bounded in bytes (issue 24, section 8)."""

from __future__ import annotations

import io
from dataclasses import replace

import numpy as np
import pytest
from matplotlib import image as mpl_image

from bot import charts
from bot.factory import Services
from bot.render.value import breakdown_chart_labels
from knowledge.models import Lang
from value_engine.models import CustomerBreakdown


def _pixels(png: bytes) -> np.ndarray:
    return np.asarray(mpl_image.imread(io.BytesIO(png), format="png"))


@pytest.fixture
def breakdown(demo_services: Services) -> CustomerBreakdown:
    found = demo_services.value.breakdown("C-1042")
    assert found is not None
    return found


@pytest.fixture
def cache(monkeypatch: pytest.MonkeyPatch) -> charts.ChartCache:
    fresh = charts.ChartCache(charts.BREAKDOWN_CACHE_BYTES)
    monkeypatch.setattr(charts, "breakdown_charts", fresh)
    return fresh


def test_one_draw_paints_what_savefig_painted(breakdown: CustomerBreakdown) -> None:
    """Same pixels as matplotlib's savefig (which lays the figure out in a draw of its
    own first), in every language."""
    for lang in (Lang.EN, Lang.ZH_HANT):
        labels = breakdown_chart_labels(lang)
        saved = io.BytesIO()
        charts.breakdown_figure(breakdown, labels).savefig(saved, format="png", dpi=100)
        drawn = charts._png(charts.breakdown_figure(breakdown, labels))
        assert _pixels(drawn).shape == _pixels(saved.getvalue()).shape == (360, 800, 4)
        assert np.array_equal(_pixels(drawn), _pixels(saved.getvalue()))


def test_the_same_chart_is_drawn_once(
    breakdown: CustomerBreakdown, cache: charts.ChartCache
) -> None:
    labels = breakdown_chart_labels(Lang.EN)
    first = charts.breakdown_chart(breakdown, labels)
    # What the chart does not show (the card's text) does not matter to it.
    again = replace(breakdown, drivers=[], recommendations=[], attributes={})
    assert charts.breakdown_chart(again, labels) == first
    assert (cache.misses, cache.hits, len(cache)) == (1, 1, 1)


def test_a_chart_showing_something_else_is_drawn(
    breakdown: CustomerBreakdown, cache: charts.ChartCache
) -> None:
    """Another language, name, value or history is another chart, never a stale one."""
    labels = breakdown_chart_labels(Lang.EN)
    first = charts.breakdown_chart(breakdown, labels)
    score = replace(breakdown.score, potential_value=breakdown.score.potential_value + 500)
    history = [replace(p, profit=p.profit + 1) for p in breakdown.history]
    others = [
        (breakdown, breakdown_chart_labels(Lang.ZH_HANT)),
        (replace(breakdown, name=breakdown.name + " Ltd"), labels),
        (replace(breakdown, score=score), labels),
        (replace(breakdown, history=history), labels),
    ]
    pngs = [charts.breakdown_chart(b, lbl) for b, lbl in others]
    assert cache.misses == 5 and cache.hits == 0
    assert len({first, *pngs}) == 5


def test_the_cache_stays_within_its_bytes_and_keeps_the_recently_used() -> None:
    cache = charts.ChartCache(max_bytes=100)
    for key in ("a", "b"):
        cache.get_or_draw(key, lambda: b"x" * 40)
    cache.get_or_draw("a", lambda: pytest.fail("a is cached"))  # a is now the newest
    cache.get_or_draw("c", lambda: b"y" * 40)  # 120 bytes: b, the oldest, goes
    assert cache.size_bytes == 80 and len(cache) == 2
    assert cache.get_or_draw("a", lambda: b"new") == b"x" * 40
    assert cache.get_or_draw("b", lambda: b"new") == b"new"
    assert cache.get_or_draw("huge", lambda: b"z" * 101) == b"z" * 101  # served, not kept
    assert cache.size_bytes <= 100 and "huge" not in cache._pngs
