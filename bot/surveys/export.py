"""`cvm survey report --csv DIR`: the analyses as spreadsheets, one file per table.

Written through the project's one CSV writer (bot.csv_out), so a feature, driver,
segment or customer id that starts like a formula stays text on the manager's machine;
UTF-8 with a BOM so spreadsheet programs read Chinese names as Chinese.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from pathlib import Path

from bot.csv_out import csv_writer
from bot.surveys.service import SurveyResult
from value_engine.survey.models import Instrument

KANO_COLUMNS = ("A", "O", "M", "I", "R", "Q")


def _write(path: Path, header: list[str], rows: Iterable[list[object]]) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv_writer(handle)
        writer.writerow(header)
        for row in rows:
            writer.writerow(row)


def _bound(value: float) -> float | None:
    """An interval bound no resample could give is blank, not "nan"."""
    return value if math.isfinite(value) else None


def _kano(result: SurveyResult) -> tuple[list[str], list[list[object]]]:
    """Columns after the counts (issue 25's guardrails, as on the card): the runner-up,
    whether the category is settled (enough answers and Fong's test), the strengths and
    the 95% intervals of Better and Worse."""
    assert result.kano is not None
    header = ["wave", "segment", "feature", "category", "level", "better", "worse"]
    header += list(KANO_COLUMNS)
    header += ["runner_up", "settled", "doubtful", "category_strength", "total_strength"]
    header += ["better_low", "better_high", "worse_low", "worse_high"]
    rows: list[list[object]] = [
        [
            *(result.wave, result.segment, f.feature, f.category.value, f.level, f.better),
            *(f.worse, *(f.counts[c] for c in KANO_COLUMNS)),
            *(f.runner_up, f.significant, f.doubtful, f.strength, f.total_strength),
            *(_bound(f.better_low), _bound(f.better_high)),
            *(_bound(f.worse_low), _bound(f.worse_high)),
        ]
        for f in result.kano.features
    ]
    return header, rows


def _equity(result: SurveyResult) -> tuple[list[str], list[list[object]]]:
    e = result.equity
    assert e is not None
    header = ["wave", "segment", "outcome", "n", "r2", "group", "driver", "weight", "share"]
    header += ["performance", "priority"]
    # as on the card: the driver's direction (its standardized beta, Holm-adjusted t-test),
    # the share's 95% interval, and whether the model passes the guardrails at all
    header += ["direction", "beta", "p_value", "share_low", "share_high"]
    header += ["adj_r2", "f_p_value", "enough_answers"]
    rows: list[list[object]] = [
        [
            result.wave,
            result.segment,
            e.outcome,
            e.n,
            e.r2,
            d.group,
            d.driver,
            d.weight,
            d.share,
            d.performance,
            d.priority.value,
            d.effect.value,
            d.beta,
            d.p_value,
            _bound(d.share_low),
            _bound(d.share_high),
            e.adj_r2,
            e.f_p_value,
            e.significant,
        ]
        for d in e.drivers
    ]
    return header, rows


def export(results: list[SurveyResult], folder: Path) -> list[Path]:
    """The files written, in order: per instrument its tables, then the waves of all."""
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    waves: list[list[object]] = []
    for result in results:
        for w in result.waves:
            waves.append([result.instrument.value, w.wave, w.n, w.mean, w.change, w.p_value])
        if result.instrument is Instrument.KANO:
            tables = {"kano.csv": _kano(result)}
        elif result.instrument is Instrument.EQUITY:
            tables = {"equity_drivers.csv": _equity(result)}
        else:
            tables = _delivered(result)
        for name, (header, rows) in tables.items():
            _write(folder / name, header, rows)
            written.append(folder / name)
    path = folder / "survey_waves.csv"
    _write(path, ["instrument", "wave", "respondents", "mean", "change", "p_value"], waves)
    return [*written, path]


def _delivered(result: SurveyResult) -> dict[str, tuple[list[str], list[list[object]]]]:
    d = result.delivered
    assert d is not None
    people = ["wave", "respondent_id", "customer_id", "segment", "total_value", "total_cost"]
    people += ["delivered_value", "ratio", "weakest"]
    components = ["wave", "segment", "n", "component", "kind", "mean", "weight", "competitor"]
    summary = ["wave", "segment", "n", "total_value", "total_cost", "delivered_value"]
    summary += ["delivered_low", "delivered_high", "share_negative", "weakest", "weakest_tied"]
    summary += ["weakest_clear", "enough_answers"]
    summaries = [d.overall, *d.segments]
    return {
        # the headline figures of the card: Vc (the mean of the respondents' own values)
        # with its interval and the share of customers below zero, overall and per segment
        "delivered_value_summary.csv": (
            summary,
            [
                [
                    *(result.wave, s.segment, s.n, s.total_value, s.total_cost, s.delivered),
                    *(_bound(s.delivered_low), _bound(s.delivered_high), s.share_negative),
                    *(s.weakest, " ".join(s.weakest_tied), s.weakest_clear, s.sufficient),
                ]
                for s in summaries
            ],
        ),
        "delivered_value_respondents.csv": (
            people,
            [
                [
                    result.wave,
                    r.respondent_id,
                    r.customer_id,
                    r.segment,
                    r.total_value,
                    r.total_cost,
                    r.delivered,
                    r.ratio,
                    r.weakest,
                ]
                for r in d.respondents
            ],
        ),
        "delivered_value_components.csv": (
            components,
            [
                [result.wave, s.segment, s.n, c.component, c.kind, c.mean, c.weight, c.competitor]
                for s in summaries
                for c in s.components
            ],
        ),
    }
