"""The customer card's chart, drawn with Pillow rather than matplotlib.

Every customer card carries this chart, and matplotlib spent about 170 ms of CPU on it
(figure, layout engine, Agg, PNG): most of what a card costs, and what kept two webhook
processes on 2 cores from keeping up with 30 updates/s (issue 24, section 8). Bars, a
few lines and some thirty labels need none of that machinery; drawn directly they cost a
few milliseconds. The rarer charts (segments, quiz topics, surveys) stay in matplotlib,
where its layout engine earns its cost.

The layout is fixed: a title, two panels side by side (the value composition, profit
per period), y-axis gridlines with their values, and labels that shrink or shorten to fit
their slot, so no input (a long name, a huge value, a loss) draws outside the picture or
over a neighbour. Every text drawn is recorded with its box, so tests can check that.
"""

from __future__ import annotations

import io
import math
import textwrap
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageColor, ImageDraw, ImageFont

from value_engine.models import CustomerBreakdown

FONT_FILE = "NotoSansCJKsc-Regular.otf"
WIDTH, HEIGHT = 800, 360
VALUE_COLORS = ("#2e7d32", "#1565c0", "#f9a825")  # realized, potential, influence
PROFIT_COLOR, LOSS_COLOR = "#546e7a", "#c62828"
TEXT, MUTED, NOTE = "#212121", "#616161", "#757575"
GRID, ZERO = "#e0e0e0", "#424242"

# One chart at a time per process: a FreeType face is not safe to use from two threads,
# and cards are drawn in worker threads.
_DRAW_LOCK = threading.Lock()


def cjk_font_path() -> Path:
    """Noto Sans CJK SC from the mplfonts wheel: it covers Traditional characters too, and
    needs no system font package or download."""
    import mplfonts

    return Path(mplfonts.__file__).resolve().parent / "fonts" / FONT_FILE


@lru_cache(maxsize=32)
def pil_font(size: int) -> ImageFont.FreeTypeFont:
    """The CJK font at `size` pixels, opened once per size (opening parses the 16 MB
    file's tables). Basic layout: Chinese and English need no shaping, and it is faster."""
    return ImageFont.truetype(str(cjk_font_path()), size, layout_engine=ImageFont.Layout.BASIC)


@dataclass(frozen=True, slots=True)
class DrawnText:
    text: str
    box: tuple[float, float, float, float]  # left, top, right, bottom, in pixels
    size: int
    role: str  # "title", "panel_title", "value", "category", "period", "tick", "note"


@dataclass(slots=True)
class Drawing:
    image: Image.Image
    texts: list[DrawnText] = field(default_factory=list)


def _palette() -> Image.Image:
    """Every colour the chart is drawn in, and 16 steps from white to each text colour
    (antialiased text is drawn only on white), so `png` keeps the drawn colours exact.
    Not finer: Pillow maps colours through a cache of 32 levels per channel, so a step
    within 8 levels of white would take white's place."""
    solid = ["#ffffff", *VALUE_COLORS, PROFIT_COLOR, LOSS_COLOR, GRID, ZERO]
    rgbs: list[tuple[int, ...]] = [ImageColor.getrgb(colour)[:3] for colour in solid]
    for colour in (TEXT, MUTED, NOTE):
        rgb = ImageColor.getrgb(colour)[:3]
        rgbs += [tuple(round(255 + (c - 255) * step / 16) for c in rgb) for step in range(1, 16)]
    palette = Image.new("P", (1, 1))
    palette.putpalette([level for rgb in rgbs for level in rgb])
    return palette


PALETTE = _palette()


def png(image: Image.Image) -> bytes:
    """PNG in palette mode, zlib's fastest level: the drawing's own colours mapped to
    `PALETTE` without dithering look the same as RGB (text edges within 14 levels of 255),
    the file is half the size (less to upload, more charts in the cache) and it takes
    about 1.5 ms, less than RGB at any compression level."""
    paletted = image.quantize(palette=PALETTE, dither=Image.Dither.NONE)
    buffer = io.BytesIO()
    paletted.save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


def breakdown_drawing(breakdown: CustomerBreakdown, labels: dict[str, str]) -> Drawing:
    with _DRAW_LOCK:
        canvas = _Canvas()
        _draw_breakdown(canvas, breakdown, labels)
        return canvas.drawing


def wrapped(label: str, width: int = 10) -> str:
    """Long labels on two lines, so neighbours never run into each other ("Realized value"
    over "Potential value"); Chinese labels are short and have no spaces to break at."""
    return "\n".join(textwrap.wrap(label, width)) if " " in label else label


class _Canvas:
    def __init__(self) -> None:
        image = Image.new("RGB", (WIDTH, HEIGHT), "white")
        self.drawing = Drawing(image)
        self.draw = ImageDraw.Draw(image)

    def text(
        self,
        xy: tuple[float, float],
        text: str,
        size: int,
        role: str,
        *,
        fill: str = TEXT,
        anchor: str = "ma",
        max_width: float | None = None,
        min_size: int = 9,
    ) -> DrawnText:
        """`text` at `xy` (Pillow anchor), shrunk down to `min_size` and then shortened
        with an ellipsis until it fits `max_width`, and kept inside the picture."""
        font = pil_font(size)
        if max_width is not None:
            while size > min_size and font.getlength(text) > max_width:
                size -= 1
                font = pil_font(size)
            if font.getlength(text) > max_width:
                text = _shortened(text, font, max_width)
        left, top, right, bottom = self.draw.textbbox(xy, text, font=font, anchor=anchor)
        dx = max(0, -left) - max(0, right - WIDTH)
        dy = max(0, -top) - max(0, bottom - HEIGHT)
        x, y = xy[0] + dx, xy[1] + dy
        self.draw.text((x, y), text, font=font, fill=fill, anchor=anchor)
        drawn = DrawnText(text, (left + dx, top + dy, right + dx, bottom + dy), size, role)
        self.drawing.texts.append(drawn)
        return drawn

    def bar(self, x0: float, x1: float, y_a: float, y_b: float, color: str) -> None:
        top, bottom = sorted((round(y_a), round(y_b)))
        bottom = max(bottom, top + 1)  # a zero or tiny value: a hairline, still seen
        self.draw.rectangle((round(x0), top, round(x1) - 1, bottom - 1), fill=color)

    def hline(self, x0: float, x1: float, y: float, color: str) -> None:
        self.draw.line((round(x0), round(y), round(x1), round(y)), fill=color, width=1)


def _shortened(text: str, font: ImageFont.FreeTypeFont, max_width: float) -> str:
    low, high = 0, len(text)
    while low < high:  # the longest prefix that fits with its ellipsis
        mid = (low + high + 1) // 2
        if font.getlength(text[:mid].rstrip() + "…") <= max_width:
            low = mid
        else:
            high = mid - 1
    return text[:low].rstrip() + "…"


def _finite(value: float) -> float:
    return value if math.isfinite(value) else 0.0


def _nice_ticks(low: float, high: float, count: int = 4) -> list[float]:
    """Round gridline values (1, 2, 2.5 or 5 times a power of ten) covering low..high,
    which include 0. All zero: just the zero line."""
    if high - low <= 0:
        return [0.0]
    raw = (high - low) / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first, last = math.floor(low / step + 1e-9), math.ceil(high / step - 1e-9)
    return [i * step for i in range(first, last + 1)]


def _compact(value: float) -> str:
    """A gridline or bar value short enough for its slot: 950, 12k, 3.4M, -1.2B."""
    size = abs(value)
    for limit, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e4, "k")):
        if size >= limit:
            scaled = value / limit
            return f"{scaled:,.0f}{suffix}" if abs(scaled) >= 100 else f"{scaled:.3g}{suffix}"
    if size and size < 1:
        return f"{value:.2g}"
    return f"{value:,.0f}"


@dataclass(frozen=True, slots=True)
class _Axis:
    """Maps values to pixel rows for one panel; `top`..`bottom` is where data may go."""

    ticks: list[float]
    top: float
    bottom: float

    @property
    def low(self) -> float:
        return self.ticks[0]

    @property
    def high(self) -> float:
        return self.ticks[-1] if len(self.ticks) > 1 else 1.0

    def y(self, value: float) -> float:
        share = (value - self.low) / (self.high - self.low)
        return self.bottom - share * (self.bottom - self.top)


def _axis(values: Sequence[float], top: float, bottom: float) -> _Axis:
    return _Axis(_nice_ticks(min(0.0, *values), max(0.0, *values)), top, bottom)


def _grid(canvas: _Canvas, axis: _Axis, left: float, right: float) -> None:
    """Gridlines with their values left of the panel, and a darker zero line."""
    for tick in axis.ticks:
        y = axis.y(tick)
        if tick != 0:
            canvas.hline(left, right, y, GRID)
        canvas.text((left - 5, y), _compact(tick), 11, "tick", fill=MUTED, anchor="rm")
    canvas.hline(left, right, axis.y(0), ZERO)


# The layout, in pixels of the 800 x 360 picture.
TITLE_Y, PANEL_TITLE_Y = 8, 36
PLOT_TOP, PLOT_BOTTOM = 80, 290  # gridlines' span; value labels go above PLOT_TOP
LEFT_PANEL, RIGHT_PANEL = (58, 305), (372, 788)


def _draw_breakdown(canvas: _Canvas, breakdown: CustomerBreakdown, labels: dict[str, str]) -> None:
    canvas.text(
        (WIDTH / 2, TITLE_Y), f"{breakdown.customer_id} {breakdown.name}", 16, "title",
        max_width=WIDTH - 20, min_size=12,
    )  # fmt: skip
    score = breakdown.score
    _draw_values(
        canvas,
        [labels["realized"], labels["potential"], labels["influence"]],
        [score.realized_value, score.potential_value, score.influence_value],
        labels["composition"],
    )
    _draw_history(
        canvas,
        [p.period for p in breakdown.history],
        [p.profit for p in breakdown.history],
        labels["history"],
        labels["no_history"],
    )


def _draw_values(canvas: _Canvas, names: list[str], values: list[float], title: str) -> None:
    left, right = LEFT_PANEL
    canvas.text(((left + right) / 2, PANEL_TITLE_Y), title, 14, "panel_title",
                max_width=right - left)  # fmt: skip
    shown = [_finite(v) for v in values]
    negative = min(shown) < 0
    axis = _axis(shown, PLOT_TOP, PLOT_BOTTOM - (14 if negative else 0))
    _grid(canvas, axis, left, right)
    slot = (right - left) / len(values)
    for i, (name, value, color) in enumerate(zip(names, values, VALUE_COLORS, strict=True)):
        middle = left + slot * (i + 0.5)
        y_value = axis.y(_finite(value))
        canvas.bar(middle - slot * 0.33, middle + slot * 0.33, axis.y(0), y_value, color)
        text = f"{value:,.0f}" if math.isfinite(value) else "n/a"
        if pil_font(12).getlength(text) > slot - 4:
            text = _compact(value)
        if value < 0:
            canvas.text((middle, y_value + 2), text, 12, "value", anchor="ma",
                        max_width=slot - 4)  # fmt: skip
        else:
            canvas.text((middle, y_value - 2), text, 12, "value", anchor="md",
                        max_width=slot - 4)  # fmt: skip
        for j, line in enumerate(wrapped(name).split("\n")[:2]):
            canvas.text((middle, PLOT_BOTTOM + 8 + 16 * j), line, 13, "category",
                        max_width=slot - 4)  # fmt: skip


def _draw_history(
    canvas: _Canvas, periods: list[str], profits: list[float], title: str, no_history: str
) -> None:
    left, right = RIGHT_PANEL
    canvas.text(((left + right) / 2, PANEL_TITLE_Y), title, 14, "panel_title",
                max_width=right - left)  # fmt: skip
    shown = [_finite(p) for p in profits]
    axis = _axis(shown or [0.0], PLOT_TOP - 12, PLOT_BOTTOM)
    _grid(canvas, axis, left, right)
    if not any(shown):
        canvas.text(((left + right) / 2, (PLOT_TOP + PLOT_BOTTOM) / 2), no_history, 13,
                    "note", fill=NOTE, anchor="mm", max_width=right - left - 10)  # fmt: skip
    if not periods:
        return
    slot = (right - left) / len(periods)
    # Quarter on the first line, its year under it where the year changes: "2024-Q1"
    # twelve times over does not fit side by side without turning it on its end.
    split = [p.split("-", 1) if p.count("-") == 1 else [p, ""] for p in periods]
    year_of = [parts[0] if parts[1] else "" for parts in split]
    for i, (period, value) in enumerate(zip(periods, shown, strict=True)):
        middle = left + slot * (i + 0.5)
        color = LOSS_COLOR if value < 0 else PROFIT_COLOR
        half = min(slot * 0.35, 24)  # one or two quarters: bars, not slabs
        canvas.bar(middle - half, middle + half, axis.y(0), axis.y(value), color)
        year, rest = split[i]
        if not rest:
            canvas.text((middle, PLOT_BOTTOM + 8), period, 11, "period",
                        max_width=slot - 2, min_size=8)  # fmt: skip
            continue
        canvas.text((middle, PLOT_BOTTOM + 8), rest, 11, "period",
                    max_width=slot - 2, min_size=8)  # fmt: skip
        if i == 0 or year_of[i - 1] != year:
            canvas.text((middle, PLOT_BOTTOM + 24), year, 11, "period",
                        fill=MUTED, max_width=max(slot * 2 - 4, 30), min_size=8)  # fmt: skip
