"""The recommendation rule table: every rule cites a real passage, and rules fire as written."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.config import PACKAGE_CORPUS
from knowledge.chunking import current_chunks
from knowledge.citations import CorpusLookup
from value_engine.models import CustomerScore, RfmSegment, Risk, Tier, Trend
from value_engine.recommendations import RULES, drivers, recommend


@pytest.fixture(scope="module")
def lookup() -> CorpusLookup:
    return CorpusLookup(current_chunks(PACKAGE_CORPUS))


def _score(**changes: object) -> CustomerScore:
    base = CustomerScore(
        customer_id="C-1",
        frequency=5,
        recency=40.0,
        age=50.0,
        monetary=100.0,
        expected_purchases=2.0,
        p_alive=0.9,
        expected_spend=100.0,
        clv=300.0,
        realized_value=1000.0,
        potential_value=100.0,
        influence_value=0.0,
        revenue=3000.0,
        margin_rate=0.33,
        r_score=3,
        f_score=3,
        m_score=3,
        segment=RfmSegment.NEEDS_ATTENTION,
        tier=Tier.B,
        risk=Risk.LOW,
        trend=Trend.FLAT,
        trend_change=0.0,
        referrals=0,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.strategy)
def test_every_rule_cites_a_passage_of_the_index(rule, lookup: CorpusLookup) -> None:  # type: ignore[no-untyped-def]
    citation = lookup.find(rule.doc, rule.quote)
    assert citation is not None, f"{rule.strategy}: quote not found in article {rule.doc}"
    assert citation.doc.startswith(rule.doc)
    assert all(rule.action) and all(rule.reason)


def test_high_value_at_risk_gets_retention_equity_first(lookup: CorpusLookup) -> None:
    recs = recommend(_score(tier=Tier.A, risk=Risk.HIGH, p_alive=0.1), lookup)
    assert recs[0].strategy == "retention_equity"
    assert recs[0].citation is not None and "维系资产" in recs[0].citation.text


def test_low_value_costly_customer_goes_to_cheaper_channels(lookup: CorpusLookup) -> None:
    recs = recommend(_score(tier=Tier.C, margin_rate=0.05, risk=Risk.HIGH), lookup)
    strategies = [r.strategy for r in recs]
    assert strategies[:2] == ["low_cost_channel", "limit_spend"]
    assert "retention_equity" not in strategies


def test_referrers_and_new_customers(lookup: CorpusLookup) -> None:
    assert "advocate" in [r.strategy for r in recommend(_score(referrals=2), lookup)]
    assert "onboarding" in [r.strategy for r in recommend(_score(trend=Trend.NEW), lookup)]
    assert recommend(_score(), lookup) == []  # an ordinary steady customer needs nothing special


def test_drivers_explain_the_numbers() -> None:
    found = drivers(_score(tier=Tier.A, r_score=1, frequency=0, referrals=1, margin_rate=0.05))
    assert found[:2] == ["top_profit", "one_time_buyer"]
    assert {"long_inactive", "referrer", "low_margin"} <= set(found)
