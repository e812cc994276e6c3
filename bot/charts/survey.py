"""Charts of the survey results: components and the customer value map, the Kano
Better–Worse diagram, and importance × performance of the equity drivers.

Points are numbered rather than named, so twenty features never write over each other;
the card under the chart lists the names by the same numbers.
"""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from bot.charts import _png, cjk_font, wrapped
from value_engine.survey.models import DeliveredReport, EquityReport, KanoReport

VALUE_COLOR, COST_COLOR, THEIRS_COLOR = "#2e7d32", "#c62828", "#90a4ae"
KANO_COLORS = {"A": "#6a1b9a", "O": "#1565c0", "M": "#c62828", "I": "#9e9e9e",
               "R": "#ef6c00", "Q": "#ef6c00"}  # fmt: skip


def _label_points(ax: Axes, x: np.ndarray, y: np.ndarray, labels: list[str]) -> None:
    """Label points without labels running into each other: points that sit on top of
    each other share one label ("1, 2, 3"), and a label that would cover another moves
    down, with a thin line back to its point. Call after the axes' limits are set."""
    font = cjk_font()
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    fx, fy = (x - x0) / (x1 - x0), (y - y0) / (y1 - y0)
    groups: list[tuple[float, float, float, float, list[str]]] = []
    for i, label in enumerate(labels):
        for gx, gy, _, _, names in groups:
            if abs(gx - fx[i]) < 0.03 and abs(gy - fy[i]) < 0.03:
                names.append(label)
                break
        else:
            groups.append((float(fx[i]), float(fy[i]), float(x[i]), float(y[i]), [label]))
    placed: list[tuple[float, float, float]] = []  # (x, y, width) of labels, axes fraction
    for gx, gy, px, py, names in groups:
        text = ", ".join(names)
        width = 0.018 * len(text) + 0.02
        tx, ty = gx + 0.012, gy + 0.012
        if tx + width > 0.98:  # near the right edge: write it to the left of the point
            tx = gx - 0.012 - width
        while (
            any(abs(ty - oy) < 0.045 and tx < ox + ow and ox < tx + width for ox, oy, ow in placed)
            and ty > -0.2
        ):
            ty -= 0.045
        placed.append((tx, ty, width))
        moved = abs(ty - (gy + 0.012)) > 1e-9
        ax.annotate(
            text,
            (px, py),
            xytext=(tx, ty),
            textcoords="axes fraction",
            fontsize=8,
            fontproperties=font,
            arrowprops={"arrowstyle": "-", "color": "#9e9e9e", "lw": 0.5} if moved else None,
        )


def _quadrant_labels(ax: Axes, corners: dict[str, str]) -> None:
    """corners: "tl", "tr", "bl", "br" -> label, written in the margins the caller keeps
    free of data above and below the plotted range."""
    font = cjk_font()
    places = {
        "tl": (0.02, 0.985, "left", "top"),
        "tr": (0.98, 0.985, "right", "top"),
        "bl": (0.02, 0.015, "left", "bottom"),
        "br": (0.98, 0.015, "right", "bottom"),
    }
    for corner, text in corners.items():
        x, y, ha, va = places[corner]
        ax.text(
            x, y, text, transform=ax.transAxes, ha=ha, va=va, fontproperties=font,
            fontsize=9, color="#616161",
        )  # fmt: skip


def delivered_chart(report: DeliveredReport, labels: dict[str, str]) -> bytes:
    return _png(delivered_figure(report, labels))


def delivered_figure(report: DeliveredReport, labels: dict[str, str]) -> Figure:
    """Left: each component's mean rating (ours, and the competitor's); right, when there is
    a competitor: Gale's customer value map with the fair-value line."""
    font = cjk_font()
    overall = report.overall
    has_map = overall.relative_value is not None
    fig = Figure(figsize=(9 if has_map else 6.5, 4.2), layout="constrained")
    axes = fig.subplots(1, 2, width_ratios=[1.3, 1]) if has_map else [fig.subplots()]
    bars = axes[0]
    components = overall.components
    y = np.arange(len(components))
    ours = [c.mean for c in components]
    colors = [VALUE_COLOR if c.kind == "value" else COST_COLOR for c in components]
    height = 0.38 if has_map else 0.6
    drawn = bars.barh(
        y - (height / 2 if has_map else 0),
        ours,
        height=height,
        color=colors,
        label=labels["dv_ours"],
    )
    bars.bar_label(drawn, labels=[f"{v:.1f}" for v in ours], fontsize=8, padding=2)
    if has_map:
        theirs = [c.competitor or 0.0 for c in components]
        bars.barh(
            y + height / 2, theirs, height=height, color=THEIRS_COLOR, label=labels["dv_theirs"]
        )
        bars.legend(prop=font, fontsize=8, loc="lower right")
    names = [wrapped(labels[f"component_{c.component}"], 12) for c in components]
    bars.set_yticks(list(y), names)
    for tick in bars.get_yticklabels():
        tick.set_fontproperties(font)
    bars.set_xlim(0, report.scale.high * 1.12)
    bars.invert_yaxis()
    bars.set_title(labels["dv_title"], fontproperties=font)
    if has_map:
        _value_map(axes[1], report, labels)
    return fig


def _value_map(ax: Axes, report: DeliveredReport, labels: dict[str, str]) -> None:
    font = cjk_font()
    points = [s for s in [report.overall, *report.segments] if s.relative_value is not None]
    x = np.array([s.relative_cost for s in points], dtype=float)
    y = np.array([s.relative_value for s in points], dtype=float)
    low = min(0.7, float(min(x.min(), y.min())) - 0.05)
    high = max(1.3, float(max(x.max(), y.max())) + 0.05)
    ax.plot(
        [low, high],
        [low, high],
        color="#757575",
        linestyle="--",
        linewidth=1,
        label=labels["map_fair"],
    )
    ax.scatter(x[1:], y[1:], color="#1565c0", s=30)
    ax.scatter(x[:1], y[:1], color="#2e7d32", s=80, marker="D")
    ax.set_xlim(low, high)
    ax.set_ylim(low, high)
    _label_points(ax, x, y, [labels["map_all"], *(s.segment or "" for s in points[1:])])
    ax.set_xlabel(labels["map_x"], fontproperties=font)
    ax.set_ylabel(labels["map_y"], fontproperties=font)
    ax.set_title(labels["map_title"], fontproperties=font)
    ax.legend(prop=font, fontsize=8, loc="lower right")


def kano_chart(report: KanoReport, labels: dict[str, str]) -> bytes:
    return _png(kano_figure(report, labels))


def kano_figure(report: KanoReport, labels: dict[str, str]) -> Figure:
    """Better against |Worse| (Berger et al. 1993): the quadrants are the categories."""
    font = cjk_font()
    fig = Figure(figsize=(6.5, 5), layout="constrained")
    ax = fig.subplots()
    x = np.array([-f.worse for f in report.features])
    y = np.array([f.better for f in report.features])
    colors = [KANO_COLORS[f.category.value] for f in report.features]
    ax.scatter(x, y, c=colors, s=40)
    ax.axhline(0.5, color="#bdbdbd", linewidth=1)
    ax.axvline(0.5, color="#bdbdbd", linewidth=1)
    ax.set_xlim(-0.02, 1.05)
    ax.set_ylim(-0.14, 1.14)  # Better and |Worse| lie in [0, 1]: the margins hold the names
    _label_points(ax, x, y, [str(n) for n in range(1, len(x) + 1)])
    _quadrant_labels(
        ax,
        {
            "tl": labels["kano_A"],
            "tr": labels["kano_O"],
            "br": labels["kano_M"],
            "bl": labels["kano_I"],
        },
    )
    ax.set_xlabel(labels["kano_x"], fontproperties=font)
    ax.set_ylabel(labels["kano_y"], fontproperties=font)
    ax.set_title(labels["kano_title"], fontproperties=font)
    return fig


def equity_chart(report: EquityReport, labels: dict[str, str]) -> bytes:
    return _png(equity_figure(report, labels))


def equity_figure(report: EquityReport, labels: dict[str, str]) -> Figure:
    """Importance (share of R²) against performance (mean rating), split at the averages:
    the quadrant top left is what to fix first, for drivers that help (blue points)."""
    font = cjk_font()
    fig = Figure(figsize=(6.5, 5), layout="constrained")
    ax = fig.subplots()
    x = np.array([d.performance for d in report.drivers])
    y = np.array([d.share for d in report.drivers]) * 100
    # Blue: helps beyond chance; red: hurts; grey: no clear effect (not to act on).
    effect_colors = {"helps": "#1565c0", "hurts": "#c62828", "unclear": "#9e9e9e"}
    colors = [effect_colors.get(d.effect.value, "#9e9e9e") for d in report.drivers]
    ax.scatter(x, y, color=colors, s=40)
    ax.axvline(float(x.mean()), color="#bdbdbd", linewidth=1)
    ax.axhline(100 / len(report.drivers), color="#bdbdbd", linewidth=1)
    scale = report.scale
    ax.set_xlim(scale.low - 0.1, scale.high + 0.1)
    top = max(float(y.max()), 200 / len(y))
    bottom = min(0.0, float(y.min()))
    span = top - bottom
    ax.set_ylim(bottom - 0.14 * span, top + 0.14 * span)  # the margins hold the names
    _label_points(ax, x, y, [str(n) for n in range(1, len(x) + 1)])
    _quadrant_labels(
        ax,
        {
            "tl": labels["ipa_fix_first"],
            "tr": labels["ipa_keep_up"],
            "bl": labels["ipa_low_priority"],
            "br": labels["ipa_possible_overkill"],
        },
    )
    ax.set_xlabel(labels["ipa_x"], fontproperties=font)
    ax.set_ylabel(labels["ipa_y"] + " (%)", fontproperties=font)
    ax.set_title(labels["ipa_title"], fontproperties=font)
    return fig
