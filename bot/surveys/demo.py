"""Surveys of the demo company, drawn from known truths so the engine can be checked.

- Delivered value: a fifth of the customers rate the eight components of article 000/001.
  Customers who are still buying (the simulation knows who dropped out) perceive more
  value and less cost, so delivered value must come out related to P(alive); time cost is
  planted as the weakest component, and the competitor offers the same value for less.
- Kano: every feature has a planted category; each answer pair is that category's with
  probability 0.65 and any pair of the table otherwise.
- Equity: the repurchase-intention outcome is a planted weighted sum of nine drivers with
  a common factor between them; "服務體驗" (service experience) weighs much and performs
  badly, and "品牌道德" (brand ethics) has no effect at all.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np

from bot.csv_out import csv_writer
from bot.customers.demo import DemoCompany
from value_engine.survey.models import COST_COMPONENTS, VALUE_COMPONENTS, Instrument

COMPETITOR = "Rival Co."
SCALE = 5
# Planted: mean offsets from the respondent's own level; time cost is felt most.
VALUE_OFFSET = {"product": 0.3, "service": 0.0, "personnel": 0.1, "image": -0.2}
COST_OFFSET = {"monetary": 0.2, "usage": -0.3, "time": 1.0, "energy": 0.0}
IMPORTANCE = {
    "product": 5, "service": 4, "personnel": 3, "image": 2,
    "monetary": 5, "usage": 3, "time": 4, "energy": 3,
}  # fmt: skip

KANO_FEATURES = {
    "準時交貨": "M",
    "發票正確無誤": "M",
    "產品品質穩定": "M",
    "交貨速度": "O",
    "價格折扣": "O",
    "專屬客戶經理": "A",
    "新品試用": "A",
    "月刊電子報": "I",
}
# Answer pairs (functional, dysfunctional) typical of each category.
KANO_PAIRS = {
    "A": ((1, 3), (1, 4), (1, 2)),
    "O": ((1, 5),),
    "M": ((3, 5), (2, 5), (4, 5)),
    "I": ((3, 3), (2, 3), (3, 4), (4, 4)),
}
KANO_TRUE_SHARE = 0.65

# (group, driver, planted coefficient, mean rating): the truth the analysis must recover.
EQUITY_DRIVERS = (
    ("value", "品質", 0.45, 3.6),
    ("value", "價格", 0.15, 3.0),
    ("value", "便利", 0.30, 3.5),
    ("brand", "知名度", 0.05, 3.8),
    ("brand", "品牌態度", 0.15, 3.4),
    ("brand", "品牌道德", 0.00, 3.7),
    ("retention", "忠誠計劃", 0.10, 3.1),
    ("retention", "關係經營", 0.05, 3.3),
    ("retention", "服務體驗", 0.40, 2.5),
)


@dataclass(frozen=True, slots=True)
class DemoSurveys:
    files: dict[Instrument, bytes]
    respondents: dict[Instrument, int]


def _csv(rows: list[list[object]]) -> bytes:
    out = io.StringIO()
    writer = csv_writer(out, lineterminator="\n")
    for row in rows:
        writer.writerow(row)
    return out.getvalue().encode("utf-8")


def _rating(values: np.ndarray) -> np.ndarray:
    rounded: np.ndarray = np.clip(np.rint(values), 1, SCALE).astype(int)
    return rounded


def delivered_value(company: DemoCompany, rng: np.random.Generator, share: float = 0.2) -> bytes:
    n = max(10, round(len(company.ids) * share))
    chosen = np.sort(rng.choice(len(company.ids), size=min(n, len(company.ids)), replace=False))
    alive = ~company.churned[chosen]
    # The respondent's own level: higher for customers still buying and for those
    # unlikely to drop out.
    drop = company.dropout[chosen]
    level = 0.9 * (alive - 0.5) - 2.0 * (drop - company.dropout.mean())
    level = level + rng.normal(0.0, 0.35, chosen.size)
    components = [*VALUE_COMPONENTS, *COST_COMPONENTS]
    header: list[object] = ["respondent_id", "customer_id", "competitor"]
    header += [f"value:{c}" for c in VALUE_COMPONENTS] + [f"cost:{c}" for c in COST_COMPONENTS]
    header += [f"weight:{c}" for c in components]
    header += [f"competitor:{c}" for c in components]
    rows: list[list[object]] = [header]
    for k, i in enumerate(chosen):
        ours = [3.3 + VALUE_OFFSET[c] + level[k] + rng.normal(0, 0.6) for c in VALUE_COMPONENTS]
        ours += [
            2.6 + COST_OFFSET[c] - 0.8 * level[k] + rng.normal(0, 0.6) for c in COST_COMPONENTS
        ]
        weights = [int(np.clip(IMPORTANCE[c] + rng.integers(-1, 2), 1, 5)) for c in components]
        theirs = [3.6 + rng.normal(0, 0.7) for _ in VALUE_COMPONENTS]
        theirs += [2.5 + rng.normal(0, 0.7) for _ in COST_COMPONENTS]
        rows.append(
            [
                f"D-{k + 1:05d}",
                company.ids[i],
                COMPETITOR,
                *list(_rating(np.array(ours))),
                *weights,
                *list(_rating(np.array(theirs))),
            ]
        )
    return _csv(rows)


def kano_survey(company: DemoCompany, rng: np.random.Generator, respondents: int = 400) -> bytes:
    chosen = rng.choice(len(company.ids), size=min(respondents, len(company.ids)), replace=False)
    rows: list[list[object]] = [
        ["respondent_id", "customer_id", "feature", "functional", "dysfunctional"]
    ]
    for k, i in enumerate(np.sort(chosen)):
        for feature, category in KANO_FEATURES.items():
            if rng.random() < KANO_TRUE_SHARE:
                pairs = KANO_PAIRS[category]
                f, d = pairs[rng.integers(len(pairs))]
            else:
                f, d = (int(v) for v in rng.integers(1, 6, 2))
            rows.append([f"K-{k + 1:05d}", company.ids[i], feature, f, d])
    return _csv(rows)


def equity_survey(
    company: DemoCompany, rng: np.random.Generator, customers: int = 450, anonymous: int = 150
) -> bytes:
    """Customers plus anonymous respondents who name their segment."""
    chosen = np.sort(
        rng.choice(len(company.ids), size=min(customers, len(company.ids)), replace=False)
    )
    n = chosen.size + anonymous
    common = rng.normal(0.0, 0.6, n)
    means = np.array([d[3] for d in EQUITY_DRIVERS])
    x = _rating(means + common[:, None] + rng.normal(0.0, 0.9, (n, len(EQUITY_DRIVERS))))
    beta = np.array([d[2] for d in EQUITY_DRIVERS])
    intention = _rating(0.6 + x @ beta * 0.75 + rng.normal(0.0, 0.45, n))
    segments = sorted(set(company.segments))
    header: list[object] = ["respondent_id", "customer_id", "segment", "outcome"]
    header += [f"{g}:{d}" for g, d, _, _ in EQUITY_DRIVERS]
    rows: list[list[object]] = [header]
    for k in range(n):
        if k < chosen.size:
            who = [company.ids[chosen[k]], ""]  # the segment comes from the customer record
        else:
            who = ["", segments[rng.integers(len(segments))]]
        rows.append([f"E-{k + 1:05d}", *who, int(intention[k]), *x[k].tolist()])
    return _csv(rows)


def generate(company: DemoCompany, seed: int = 11) -> DemoSurveys:
    rng = np.random.default_rng(seed)
    files = {
        Instrument.DELIVERED: delivered_value(company, rng),
        Instrument.KANO: kano_survey(company, rng),
        Instrument.EQUITY: equity_survey(company, rng),
    }
    counts = {
        Instrument.DELIVERED: files[Instrument.DELIVERED].count(b"\n") - 1,
        Instrument.KANO: len(
            {line.split(b",")[0] for line in files[Instrument.KANO].splitlines()[1:]}
        ),
        Instrument.EQUITY: files[Instrument.EQUITY].count(b"\n") - 1,
    }
    return DemoSurveys(files=files, respondents=counts)
