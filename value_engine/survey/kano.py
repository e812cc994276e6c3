"""Kano classification of features from the functional/dysfunctional question pair.

Each respondent's answer pair is classified with the Kano evaluation table (Berger et al.
1993, "Kano's methods for understanding customer-defined quality", Center for Quality of
Management Journal 2(4)); a feature takes its most frequent category. Ties go to the
category that matters most for the product (M > O > A > I > R > Q), the usual rule, since
overlooking a must-be costs more than overlooking an attractive feature. Better and Worse
are Timko's customer-satisfaction coefficients from the same paper.

A most frequent category is not yet a finding: with one respondent every feature has
one. Each feature therefore carries the quality measures of Lee & Newcomb (1997,
"Applying the Kano methodology to meet customer requirements: NASA's microgravity
science program", Quality Management Journal 4(3)): category strength (top share minus
runner-up share) and total strength ((A+O+M) share: does the feature matter at all);
Fong's test of whether the top category really wins (guardrails.fong); the share of
reverse and questionable answers; and bootstrap 95% intervals of Better and Worse.
"""

from __future__ import annotations

import numpy as np

from value_engine.survey import bootstrap, guardrails
from value_engine.survey.models import KanoCategory, KanoFeature, KanoReport, SurveyError

# Answers, coded as in the contract: 1 like, 2 must-be, 3 neutral, 4 live with, 5 dislike.
ANSWERS = ("like", "must-be", "neutral", "live with", "dislike")
CATEGORIES = (
    KanoCategory.ATTRACTIVE,
    KanoCategory.ONE_DIMENSIONAL,
    KanoCategory.MUST_BE,
    KanoCategory.INDIFFERENT,
    KanoCategory.REVERSE,
    KanoCategory.QUESTIONABLE,
)
A, O, M, I, R, Q = range(6)  # noqa: E741 (the published letters)
# Rows: functional answer; columns: dysfunctional answer (both in ANSWERS order).
EVALUATION_TABLE = np.array(
    [
        [Q, A, A, A, O],
        [R, I, I, I, M],
        [R, I, I, I, M],
        [R, I, I, I, M],
        [R, R, R, R, Q],
    ],
    dtype=np.int8,
)
TIE_ORDER = (M, O, A, I, R, Q)


def classify(functional: np.ndarray, dysfunctional: np.ndarray) -> np.ndarray:
    """Category index (into CATEGORIES) of each answer pair coded 1..5."""
    f = np.asarray(functional, dtype=np.int64)
    d = np.asarray(dysfunctional, dtype=np.int64)
    if f.size and (f.min() < 1 or f.max() > 5 or d.min() < 1 or d.max() > 5):
        raise SurveyError("kano_bad_code")
    return EVALUATION_TABLE[f - 1, d - 1]


def coefficients(counts: np.ndarray) -> tuple[float, float]:
    """(Better, Worse) from counts in CATEGORIES order; 0 when no answer was A, O, M or I."""
    base = counts[A] + counts[O] + counts[M] + counts[I]
    if base == 0:
        return 0.0, 0.0
    better = float((counts[A] + counts[O]) / base)
    worse = float(-(counts[O] + counts[M]) / base)
    return better, worse + 0.0  # -0.0 reads oddly in JSON


def _coefficient_intervals(
    counts: np.ndarray, rng: np.random.Generator, resamples: int
) -> tuple[float, float, float, float]:
    """Bootstrap 95% intervals of (Better, Worse): a feature's answers resampled with
    replacement are multinomial on its observed counts, the same as resampling its
    respondents."""
    n = int(counts.sum())
    if n == 0:
        return (float("nan"),) * 4
    drawn = rng.multinomial(n, counts / n, size=resamples).astype(np.float64)
    base = drawn[:, A] + drawn[:, O] + drawn[:, M] + drawn[:, I]
    with np.errstate(divide="ignore", invalid="ignore"):
        better = np.where(base > 0, (drawn[:, A] + drawn[:, O]) / base, np.nan)
        worse = np.where(base > 0, -(drawn[:, O] + drawn[:, M]) / base, np.nan)
    low, high = bootstrap.interval(np.column_stack([better, worse]))
    # a bound no resample could give (every answer R or Q) stays NaN: shown as no interval
    bounds = [float(v) + 0.0 for v in (*low, *high)]
    return bounds[0], bounds[2], bounds[1], bounds[3]


def _feature(
    name: str, counts: np.ndarray, rng: np.random.Generator, resamples: int
) -> KanoFeature:
    n = int(counts.sum())
    most = counts.max()
    winner = next(c for c in TIE_ORDER if counts[c] == most)
    rest = [c for c in TIE_ORDER if c != winner]
    second = max(rest, key=lambda c: (counts[c], -TIE_ORDER.index(c)))
    a, b = int(counts[winner]), int(counts[second])
    wins, _ = guardrails.fong(a, b, n)
    enough = n >= guardrails.MIN_RESPONDENTS
    needed = 0
    if not (wins and enough):
        more = guardrails.fong_needed(a, b, n) or 0
        needed = max(0 if enough else guardrails.MIN_RESPONDENTS, more)
    better, worse = coefficients(counts)
    b_low, b_high, w_low, w_high = _coefficient_intervals(counts, rng, resamples)
    share = counts / n if n else np.zeros(6)
    doubtful = n > 0 and guardrails.kano_doubtful(
        0.0 if winner == R else float(share[R]), float(share[Q])
    )
    return KanoFeature(
        feature=name,
        category=CATEGORIES[winner],
        counts={c.value: int(k) for c, k in zip(CATEGORIES, counts, strict=True)},
        better=better,
        worse=worse,
        # a runner-up nobody chose is no runner-up: one O answer is not "O/M mixed"
        runner_up=CATEGORIES[second].value if b else None,
        strength=float(share[winner] - share[second]),
        total_strength=float(share[A] + share[O] + share[M]),
        significant=wins and enough,
        needed=needed,
        doubtful=doubtful,
        better_low=b_low,
        better_high=b_high,
        worse_low=w_low,
        worse_high=w_high,
    )


def analyse(
    features: list[str],
    feature_index: np.ndarray,
    functional: np.ndarray,
    dysfunctional: np.ndarray,
    respondents: int = 0,
    resamples: int = bootstrap.RESAMPLES,
) -> KanoReport:
    """One KanoFeature per name in `features`; answer k belongs to features[feature_index[k]].

    Vectorized over all answers: 2,000,000 answer pairs take well under a second.
    """
    if not features:
        raise SurveyError("no_answers")
    category = classify(functional, dysfunctional)
    idx = np.asarray(feature_index, dtype=np.int64)
    table = np.bincount(idx * 6 + category, minlength=len(features) * 6).reshape(-1, 6)
    rng = np.random.default_rng(bootstrap.SEED)
    results = [
        _feature(name, counts, rng, resamples) for name, counts in zip(features, table, strict=True)
    ]
    total = max(int(table.sum()), 1)
    return KanoReport(
        features=results,
        respondents=respondents,
        reverse_share=float(table[:, R].sum() / total),
        questionable_share=float(table[:, Q].sum() / total),
    )
