"""PNG charts for customer breakdowns and segments, with a CJK font so Chinese renders.

The font ships inside a PyPI wheel (mplfonts' Noto Sans CJK SC, which covers
Traditional characters too), so no system font package and no download is needed.

The breakdown chart, on every customer card, is drawn with Pillow (`bot.charts.breakdown`
says why); it is also kept, keyed by everything it shows, in a cache bounded in bytes
(`ChartCache`): a manager who looks at a customer again, or a colleague who looks at the
same one, gets it without drawing. The other charts are rarer and drawn with matplotlib.
"""

from __future__ import annotations

import io
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from functools import lru_cache

import matplotlib

matplotlib.use("Agg")

import numpy as np
from matplotlib import font_manager
from matplotlib import image as mpl_image
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

from bot.charts.breakdown import breakdown_drawing, cjk_font_path, png
from bot.charts.breakdown import wrapped as wrapped  # the survey charts wrap labels alike
from value_engine.models import CustomerBreakdown, SegmentStats


@lru_cache(maxsize=1)
def cjk_font() -> font_manager.FontProperties:
    path = cjk_font_path()
    font_manager.fontManager.addfont(str(path))
    return font_manager.FontProperties(fname=str(path))


CHART_DPI = 100
BREAKDOWN_CACHE_BYTES = 16 * 2**20  # about 1,800 breakdown charts of ~9 KB


def _png(fig: Figure) -> bytes:
    """The figure as PNG, drawn once: `savefig` draws a figure with a layout engine twice
    (once to lay it out, once to paint), this lays it out and paints in one draw, with
    the same pixels."""
    fig.set_dpi(CHART_DPI)
    canvas = FigureCanvasAgg(fig)
    canvas.draw()  # type: ignore[no-untyped-call]
    buffer = io.BytesIO()
    pixels = np.asarray(canvas.buffer_rgba())  # type: ignore[no-untyped-call]
    mpl_image.imsave(buffer, pixels, format="png", dpi=CHART_DPI)
    return buffer.getvalue()


class ChartCache:
    """PNG bytes by what the chart shows, least recently used first out, at most
    `max_bytes` in all. Thread-safe: charts are drawn in worker threads."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._pngs: OrderedDict[Hashable, bytes] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    @property
    def size_bytes(self) -> int:
        return self._bytes

    def __len__(self) -> int:
        return len(self._pngs)

    def get_or_draw(self, key: Hashable, draw: Callable[[], bytes]) -> bytes:
        """The cached chart for `key`, else `draw()`'s, kept unless larger than the bound.
        Two threads missing the same key both draw it; neither waits for the other."""
        with self._lock:
            png = self._pngs.get(key)
            if png is not None:
                self._pngs.move_to_end(key)
                self.hits += 1
                return png
            self.misses += 1
        png = draw()
        with self._lock:
            if key not in self._pngs and len(png) <= self.max_bytes:
                self._pngs[key] = png
                self._bytes += len(png)
                while self._bytes > self.max_bytes:
                    _, evicted = self._pngs.popitem(last=False)
                    self._bytes -= len(evicted)
        return png


breakdown_charts = ChartCache(BREAKDOWN_CACHE_BYTES)


def breakdown_chart(breakdown: CustomerBreakdown, labels: dict[str, str]) -> bytes:
    """The breakdown's chart, from `breakdown_charts` when the same one was drawn lately."""
    return breakdown_charts.get_or_draw(
        breakdown_chart_key(breakdown, labels),
        lambda: png(breakdown_figure(breakdown, labels)),
    )


def breakdown_chart_key(breakdown: CustomerBreakdown, labels: dict[str, str]) -> Hashable:
    """Everything `breakdown_figure` draws, and nothing else: the customer's id and name,
    the three values, the profit per period and the labels (the language)."""
    score = breakdown.score
    return (
        breakdown.customer_id,
        breakdown.name,
        score.realized_value,
        score.potential_value,
        score.influence_value,
        tuple((p.period, p.profit) for p in breakdown.history),
        tuple(sorted(labels.items())),
    )


def breakdown_figure(breakdown: CustomerBreakdown, labels: dict[str, str]) -> Image.Image:
    """Left: realized / potential / influence value; right: profit per quarter."""
    return breakdown_drawing(breakdown, labels).image


def segments_chart(
    stats: list[SegmentStats], names: dict[str, str], labels: dict[str, str]
) -> bytes:
    return _png(segments_figure(stats, names, labels))


def segments_figure(
    stats: list[SegmentStats], names: dict[str, str], labels: dict[str, str]
) -> Figure:
    """Share of customers vs share of profit per RFM segment."""
    font = cjk_font()
    fig = Figure(figsize=(8, 4), layout="constrained")
    ax = fig.subplots()
    order = sorted(stats, key=lambda s: s.share_profit, reverse=True)
    y = range(len(order))
    ax.barh(
        [i + 0.2 for i in y],
        [s.share_customers * 100 for s in order],
        height=0.4,
        label=labels["customers"],
        color="#90a4ae",
    )
    ax.barh(
        [i - 0.2 for i in y],
        [s.share_profit * 100 for s in order],
        height=0.4,
        label=labels["profit"],
        color="#2e7d32",
    )
    ax.set_yticks(list(y), [names[s.segment.value] for s in order])
    for tick in ax.get_yticklabels():
        tick.set_fontproperties(font)
    ax.invert_yaxis()
    ax.set_xlabel("%")
    ax.legend(prop=font)
    ax.set_title(labels["title"], fontproperties=font)
    return fig


def topic_chart(results: list[tuple[str, float]], title: str) -> bytes:
    return _png(topic_figure(results, title))


def topic_figure(results: list[tuple[str, float]], title: str) -> Figure:
    """Share of correct answers per topic, for a quiz report."""
    font = cjk_font()
    fig = Figure(figsize=(7, 0.5 * len(results) + 1.5), layout="constrained")
    ax = fig.subplots()
    names = [name for name, _ in results]
    values = [share * 100 for _, share in results]
    bars = ax.barh(names, values, color="#1565c0")
    ax.bar_label(bars, labels=[f"{v:.0f}%" for v in values], fontsize=8)
    ax.set_xlim(0, 100)
    ax.invert_yaxis()
    for tick in ax.get_yticklabels():
        tick.set_fontproperties(font)
    ax.set_title(title, fontproperties=font)
    return fig
