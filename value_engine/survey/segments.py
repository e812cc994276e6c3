"""Do segments answer differently? Tests behind the segment comparison.

A list of each segment's categories ("M M M O O A A I") leaves the reader to guess both
which feature is which and whether a different letter is more than chance. Per Kano
feature, the segments' category counts are compared with Pearson's chi-square test of
homogeneity, Holm-adjusted over the features (many features, one of them "different" by
chance otherwise). The test needs expected counts that are not too small (Cochran 1954:
none below 1 and at least 80% of them 5 or more); a feature that falls short is reported
as too few answers to compare rather than tested, after the rarest categories are pooled
(the usual remedy: a feature almost everyone calls I has a handful of R and Q answers that
would otherwise make every feature untestable). Delivered value, a number per
respondent, is compared with the Kruskal-Wallis test, which needs no normality of ratings.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from value_engine.survey import guardrails
from value_engine.survey.models import KanoCategory, KanoReport

MIN_PER_SEGMENT = 5  # respondents in a segment before it enters the delivered-value test


@dataclass(frozen=True, slots=True)
class FeatureComparison:
    feature: str
    categories: dict[str, str]  # segment -> its category ("M/O" when Fong finds no winner)
    p_value: float | None  # Holm-adjusted; None when it cannot be tested
    differs: bool


def _testable(table: np.ndarray) -> bool:
    """Cochran's rule for the chi-square approximation."""
    expected = table.sum(axis=1, keepdims=True) * table.sum(axis=0) / table.sum()
    return bool(expected.min() >= 1 and (expected >= 5).mean() >= 0.8)


def _pooled(table: np.ndarray) -> np.ndarray:
    """Merge the two rarest categories until Cochran's rule holds or two columns remain."""
    while table.shape[1] > 2 and not _testable(table):
        order = np.argsort(table.sum(axis=0), kind="stable")
        merged = table[:, order[0]] + table[:, order[1]]
        table = np.column_stack([table[:, order[2:]], merged])
    return table


def compare_kano(reports: dict[str, KanoReport]) -> list[FeatureComparison]:
    """One comparison per feature (in the first segment's order) across the segments."""
    if not reports:
        return []
    segments = list(reports)
    letters = [c.value for c in KanoCategory]
    features = [f.feature for f in reports[segments[0]].features]
    raw: list[float | None] = []
    labels: list[dict[str, str]] = []
    for name in features:
        rows, shown = [], {}
        for segment in segments:
            found = next((f for f in reports[segment].features if f.feature == name), None)
            if found is None or found.n == 0:
                continue
            rows.append([found.counts[c] for c in letters])
            category = found.category.value
            shown[segment] = f"{category}/{found.runner_up}" if found.mixed else category
        labels.append(shown)
        table = np.array(rows, dtype=np.float64)
        if table.shape[0] < 2:
            raw.append(None)
            continue
        table = _pooled(table[:, table.sum(axis=0) > 0])
        if table.shape[1] < 2:
            raw.append(1.0)  # every segment gave the same single category
        elif _testable(table):
            raw.append(float(stats.chi2_contingency(table, correction=False).pvalue))
        else:
            raw.append(None)
    tested = [i for i, p in enumerate(raw) if p is not None]
    adjusted: list[float | None] = [None] * len(raw)
    if tested:
        holm = guardrails.holm(np.array([raw[i] for i in tested], dtype=np.float64))
        for i, p in zip(tested, holm, strict=True):
            adjusted[i] = float(p)
    return [
        FeatureComparison(
            feature=name,
            categories=shown,
            p_value=p,
            differs=p is not None and p < guardrails.ALPHA,
        )
        for name, shown, p in zip(features, labels, adjusted, strict=True)
    ]


def compare_values(values: dict[str, np.ndarray]) -> float | None:
    """Kruskal-Wallis p-value across segments with enough respondents; None when fewer
    than two such segments, or when every value is the same."""
    groups = [v for v in values.values() if v.size >= MIN_PER_SEGMENT]
    if len(groups) < 2 or np.ptp(np.concatenate(groups)) == 0:
        return None
    p = float(stats.kruskal(*groups).pvalue)
    return p if np.isfinite(p) else None
