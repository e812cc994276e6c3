"""How many answers each survey analysis needs, and whether a finding is significant.

Advice is only as good as the evidence under it: a manager who reads "fix service first"
will act on it, so the engine says so only where the answers are enough and the finding
would be unlikely by chance. The rules, each a published rule of thumb or test:

- **Key drivers** (regression of the outcome on k drivers): Green (1991), "How many
  subjects does it take to do a regression analysis?", Multivariate Behavioral Research
  26(3): N >= 50 + 8k to test the model as a whole and N >= 104 + k to test each driver
  (a medium effect, 5% level, 80% power). The larger of the two is required, since the
  advice names single drivers. It is chosen over the looser "10-20 answers per driver"
  because it is derived from a power analysis rather than habit, and it stays sensible for
  few drivers (10 per driver would allow 30 answers for 3 drivers, too few to see a
  medium effect). On top, the model's F-test must be significant (p < 0.05) and a driver's
  own coefficient too (t-test, Holm-adjusted over the drivers so that twelve drivers do
  not give one "significant" driver by chance).
- **Kano**: Fong's test (Fong 1996, "Using the self-stated importance questionnaire to
  interpret Kano questionnaire results", Center for Quality of Management Journal 5(3)):
  the most frequent category wins only if |a - b| > 1.65 sqrt((a + b)(2n - a - b) / 2n),
  a and b the two largest counts of n answers; otherwise the feature is a mix of the two.
  The test rests on a normal approximation, so a feature also needs at least 30 answers.
- **Delivered value**: at least 30 respondents, the usual floor for a mean's normal
  approximation (central limit theorem), and the weakest component must be weaker than the
  runner-up by a margin whose bootstrap 95% interval excludes zero.

Kano answers that make no sense are counted, not hidden: in the evaluation table 7 of the
25 answer pairs are reverse (R) and 2 questionable (Q), so answers given at random come out
28% R and 8% Q. Berger et al. (1993) read Q as a question misunderstood; a survey whose
respondents understood the questions has a few per cent. A feature (or survey) is flagged
when Q exceeds 5% or R and Q together exceed 20% of its answers, and a flagged feature gets
no advice.

Thirty is also what Griffin & Hauser (1993, "The voice of the customer", Marketing Science
12(1)) found enough to surface 90% of customer needs, the usual sample floor in Kano work.
"""

from __future__ import annotations

from math import ceil, inf, sqrt

import numpy as np

ALPHA = 0.05
FONG_Z = 1.65  # Fong (1996): one-sided 5% (the larger category can only win)
MIN_RESPONDENTS = 30  # Kano answers per feature, delivered-value respondents
MAX_NEEDED = 1_000_000  # beyond this, "more answers" is no answer
KANO_MAX_QUESTIONABLE = 0.05
KANO_MAX_REVERSE_AND_QUESTIONABLE = 0.20


def kano_doubtful(reverse_share: float, questionable_share: float) -> bool:
    """Too many reverse or questionable answers to trust the classification."""
    return (
        questionable_share > KANO_MAX_QUESTIONABLE
        or reverse_share + questionable_share > KANO_MAX_REVERSE_AND_QUESTIONABLE
    )


def regression_needed(k: int) -> int:
    """Green (1991): respondents needed to test the model (50 + 8k) and each driver (104 + k)."""
    return max(50 + 8 * k, 104 + k)


def f_test(r2: float, n: int, k: int) -> float:
    """p-value of the regression's F-test (all k coefficients zero), 1.0 when untestable."""
    if k < 1 or n - k - 1 < 1:
        return 1.0
    if r2 >= 1.0:
        return 0.0
    # SciPy only here: the survey models import this module's rules, and `cvm import`
    # must start without SciPy (tests/test_cli_value.py).
    from scipy import stats

    f = (r2 / k) / ((1.0 - r2) / (n - k - 1))
    p = float(stats.f.sf(f, k, n - k - 1))
    return p if np.isfinite(p) else 1.0


def adjusted_r2(r2: float, n: int, k: int) -> float:
    """R² corrected for the number of drivers: what a new sample would likely show."""
    if n - k - 1 < 1:
        return -inf
    return 1.0 - (1.0 - r2) * (n - 1) / (n - k - 1)


def needed_for_f(adj_r2: float, k: int) -> int | None:
    """Respondents at which the F-test would come out significant if the drivers explain
    as much as the adjusted R² says; None when they explain nothing (then more answers of
    the same kind are not expected to help)."""
    if adj_r2 <= 0.0 or f_test(adj_r2, MAX_NEEDED, k) >= ALPHA:
        return None
    # The F-test's p-value falls as n grows (F grows and so do its degrees of freedom),
    # so the smallest n that passes is found by bisection: low fails, high passes.
    low, high = k + 1, MAX_NEEDED
    while high - low > 1:
        mid = (low + high) // 2
        if f_test(adj_r2, mid, k) < ALPHA:
            high = mid
        else:
            low = mid
    return high


def holm(p_values: np.ndarray) -> np.ndarray:
    """Holm's step-down adjustment: the family of tests keeps the 5% level."""
    p = np.asarray(p_values, dtype=np.float64)
    m = p.size
    order = np.argsort(p, kind="stable")
    adjusted = np.minimum(1.0, np.maximum.accumulate((m - np.arange(m)) * p[order]))
    out = np.empty(m)
    out[order] = adjusted
    return out


def fong(a: int, b: int, n: int) -> tuple[bool, float]:
    """(does the top category win, Fong's critical difference Q) for the two largest counts
    a >= b of n answers."""
    if n <= 0:
        return False, inf
    q = FONG_Z * sqrt((a + b) * (2 * n - a - b) / (2 * n))
    return bool(a - b > q), q


def fong_needed(a: int, b: int, n: int) -> int | None:
    """Answers at which the top category would win Fong's test if answers kept coming in
    the present proportions; None for an exact tie (no number of such answers decides)."""
    if n <= 0 or a <= b:
        return None
    pa, pb = a / n, b / n
    # |pa - pb| N > 1.65 sqrt(N (pa + pb)(2 - pa - pb) / 2), solved for N
    needed = FONG_Z**2 * (pa + pb) * (2 - pa - pb) / 2 / (pa - pb) ** 2
    return min(MAX_NEEDED, max(n + 1, ceil(needed + 1e-9)))


def mean_needed(diff: float, sd: float) -> int | None:
    """Respondents at which a mean difference this large would be significant (two-sided
    5%), if the spread stays the same; None when there is no difference."""
    if diff <= 0 or not np.isfinite(sd):
        return None
    if sd <= 0:
        return MIN_RESPONDENTS
    return min(MAX_NEEDED, max(MIN_RESPONDENTS, ceil((1.96 * sd / diff) ** 2)))
