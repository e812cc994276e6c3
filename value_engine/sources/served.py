"""The scores the bot serves, from an engine that holds every customer.

`/customer` reads one row of the bot's `customer_score` table. When the transactions live
in a warehouse, the engine there ranks everyone (`served_sql`), the fitted models score
everyone batch by batch (so each segment's averages are the whole population's), and the
bot keeps the full rows only for the customers it serves: a segment, the top N by
realized value, or all. Influence value comes from the referrals the bot knows (its
customer list), credited with each referred customer's own value wherever that customer
sits in the warehouse, as `scoring.score_customers` does for the bot's own data.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

import numpy as np

from value_engine.measures import rfm_segments
from value_engine.models import CustomerScore, FittedModels, SegmentStats
from value_engine.scoring import (
    PopulationRanks,
    ScoringPolicy,
    referral_credit,
    score_customers,
)
from value_engine.segment_stats import SegmentTally
from value_engine.sources.summary_sql import to_summary

# The columns each batch carries: `served_sql.RANKED_SQL`'s, and whether the bot serves it.
BATCH_COLUMNS = (
    "customer_id", "purchases", "first_day", "last_day", "frequency", "recency", "t",
    "monetary_value", "revenue", "profit", "profit_last", "profit_previous", "r_score",
    "f_score", "m_score", "tier", "served",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class ServedScores:
    rows: list[CustomerScore]  # the served customers, most valuable first
    segments: list[SegmentStats]  # over everyone
    customers: int  # everyone the engine scored


class ServingPass:
    """Scores batch after batch, keeping the served rows, every segment's sums and the
    referrers' credit. Passes over different batches merge, so an engine may run one per
    partition where the data is (Spark) and send back only these, or one over all
    batches (DuckDB)."""

    def __init__(
        self,
        models: FittedModels,
        policy: ScoringPolicy,
        as_of_day: int,
        profit_assumed: bool,
        referrer_of: Mapping[str, str] | None = None,
    ) -> None:
        self.models, self.policy = models, policy
        self.as_of_day, self.profit_assumed = as_of_day, profit_assumed
        self.referrer_of = dict(referrer_of or {})
        self.tally = SegmentTally()
        self.influence: defaultdict[str, float] = defaultdict(float)
        self.referrals: Counter[str] = Counter()
        self.kept: list[CustomerScore] = []
        self.scored = 0

    def add(self, batch: Mapping[str, np.ndarray]) -> None:
        """One batch of `BATCH_COLUMNS`; ModelError (naming the customer) for a score
        that is not finite."""
        ids = [str(c) for c in batch["customer_id"]]
        summary = to_summary(dict(batch), self.as_of_day, self.profit_assumed)
        ranks = PopulationRanks(
            r_score=np.asarray(batch["r_score"], dtype=np.int64),
            f_score=np.asarray(batch["f_score"], dtype=np.int64),
            m_score=np.asarray(batch["m_score"], dtype=np.int64),
            tier=np.asarray(batch["tier"]).astype("<U1"),
        )
        no_referrer = np.full(len(ids), -1, dtype=np.int64)
        table = score_customers(ids, summary, self.models, no_referrer, self.policy, ranks)
        labels = rfm_segments(ranks.r_score, ranks.f_score, ranks.m_score, summary.has_purchase)
        self.tally.add(labels, table.realized, table.clv, table.p_alive)
        if self.referrer_of:
            credit = referral_credit(table.realized, table.potential, self.policy)
            for i, customer_id in enumerate(ids):
                referrer = self.referrer_of.get(customer_id)
                if referrer is not None:
                    self.influence[referrer] += float(credit[i])
                    self.referrals[referrer] += 1
        for position in np.flatnonzero(np.asarray(batch["served"], dtype=bool)):
            self.kept.append(table.row(int(position), self.as_of_day))
        self.scored += len(ids)

    def merge(self, other: ServingPass) -> None:
        self.tally.merge(other.tally)
        for referrer, credit in other.influence.items():
            self.influence[referrer] += credit
        self.referrals.update(other.referrals)
        self.kept.extend(other.kept)
        self.scored += other.scored

    def result(self) -> ServedScores:
        rows = [
            replace(
                row,
                influence_value=self.influence[row.customer_id],
                referrals=self.referrals[row.customer_id],
            )
            if row.customer_id in self.referrals
            else row
            for row in self.kept
        ]
        rows.sort(key=lambda row: (-row.realized_value, row.customer_id))
        return ServedScores(rows=rows, segments=self.tally.stats(), customers=self.scored)

    def without_work(self) -> ServingPass:
        """An empty pass with the same models and referrals, for another partition."""
        return ServingPass(
            self.models, self.policy, self.as_of_day, self.profit_assumed, self.referrer_of
        )


def serve(batches: Iterable[Mapping[str, np.ndarray]], serving: ServingPass) -> ServedScores:
    for batch in batches:
        serving.add(batch)
    return serving.result()
