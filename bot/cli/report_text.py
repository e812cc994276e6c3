"""What the CLI prints about a fit and an import, in plain English.

Shared by `cvm value`, `--source` and `cvm survey`, so none of them imports another.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from value_engine.models import BgNbdParams, FitQuality, GammaGammaParams, PurchaseModel, SpendModel

if TYPE_CHECKING:
    from value_engine.holdout import HoldoutCheck


def fit_text(bg: BgNbdParams, gg: GammaGammaParams | None, quality: FitQuality) -> str:
    """The fitted models and, in plain words, how far to trust them."""
    if bg.kind is PurchaseModel.NBD:
        lines = [f"NBD (no dropout seen) r={bg.r:.4g} alpha={bg.alpha:.4g}"]
    elif bg.kind is PurchaseModel.COMMON_DROPOUT:
        lines = [f"BG/NBD, one dropout p for all, r={bg.r:.4g} alpha={bg.alpha:.4g} p={bg.p:.4g}"]
    elif bg.kind is PurchaseModel.DROPOUT_SPLIT:
        lines = [
            f"BG/NBD, leavers and stayers, r={bg.r:.4g} alpha={bg.alpha:.4g} leavers={bg.p:.4g}"
        ]
    else:
        lines = [f"BG/NBD r={bg.r:.4g} alpha={bg.alpha:.4g} a={bg.a:.4g} b={bg.b:.4g}"]
    lines[0] += f" (log-likelihood {bg.loglik:.1f})"
    if gg is not None and gg.kind is SpendModel.AVERAGE:
        lines.append(f"Average spend per purchase {gg.mean_spend:.4g} (no Gamma-Gamma)")
    elif gg is not None:
        lines.append(f"Gamma-Gamma p={gg.p:.4g} q={gg.q:.4g} v={gg.v:.4g}")
    return "\n".join(lines + quality_lines(bg, gg, quality))


def holdout_lines(check: HoldoutCheck | None) -> list[str]:
    """The fit's holdout test by purchases in the calibration period (mean per customer)."""
    if check is None:
        return []
    return [
        f"  x={bucket:>2}: {customers:6d} customers, predicted {predicted:.3f}, actual {actual:.3f}"
        for bucket, customers, predicted, actual in check.by_frequency
    ]


def quality_lines(bg: BgNbdParams, gg: GammaGammaParams | None, quality: FitQuality) -> list[str]:
    from bot.render.value import fit_quality_lines
    from knowledge.models import Lang

    lines = fit_quality_lines(quality, bg, gg, Lang.EN, holdout=True)
    if quality.reliable:
        lines.append("The model is reliable on this data.")
    return lines


def print_import_report(report, name: str) -> None:  # type: ignore[no-untyped-def]
    from bot.render import plain
    from bot.render.value import import_html
    from knowledge.models import Lang

    # Every line the report kept (MAX_REPORTED), in words: the terminal has room for them.
    shown = len(report.errors) + len(report.skipped)
    print(plain(import_html(report, name, Lang.EN, errors=shown, skipped=shown)))
    print(f"({report.seconds:.1f} s)")
