"""A customer card's chart is cheap to draw (Pillow, a small palette PNG) and is kept,
keyed by what it shows, in a cache bounded in bytes (issue 24, section 8)."""

from __future__ import annotations

import io
from dataclasses import replace

import numpy as np
import pytest
from PIL import Image

from bot import charts
from bot.factory import Services
from bot.render.value import breakdown_chart_labels
from knowledge.models import Lang
from value_engine.models import CustomerBreakdown


def _pixels(png: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(png)) as image:
        assert image.format == "PNG"
        return np.asarray(image.convert("RGB"), dtype=np.int16)


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


def test_the_png_is_the_drawing(breakdown: CustomerBreakdown) -> None:
    """The palette PNG decodes to the size drawn and to the drawing's own colours (the bar
    colours exactly, antialiased text edges within a few levels), in every language."""
    for lang in (Lang.EN, Lang.ZH_HANT, Lang.ZH_HANS):
        image = charts.breakdown_figure(breakdown, breakdown_chart_labels(lang))
        png = charts.breakdown_chart(breakdown, breakdown_chart_labels(lang))
        decoded, drawn = _pixels(png), np.asarray(image, dtype=np.int16)
        assert decoded.shape == drawn.shape == (360, 800, 3)
        assert np.abs(decoded - drawn).mean() < 0.5
        assert len(png) < 20_000  # matplotlib's RGBA PNG was ~35 KB
        bars = {tuple(int(c) for c in px) for px in decoded.reshape(-1, 3)}
        assert {(0x2E, 0x7D, 0x32), (0x15, 0x65, 0xC0), (0x54, 0x6E, 0x7A)} <= bars


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
