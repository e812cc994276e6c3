"""The JSON that `cvm survey report --json` prints: a stable contract other tools rely on.

The "kano" list and the "equity" object are exactly the layouts documented in the README
(and in issue 12); anything more about an instrument sits beside them under
"<instrument>_details", so a consumer of the contract never meets a key it did not expect.
"""

from __future__ import annotations

from typing import Any

from bot.surveys.service import SurveyResult
from value_engine.models import Recommendation
from value_engine.survey.models import DeliveredSummary, RespondentValue, RetentionLink


def _advice(items: tuple[Recommendation, ...]) -> list[dict[str, Any]]:
    return [
        {
            "strategy": r.strategy,
            "action": r.action,
            "reason": r.reason,
            "source": None
            if r.citation is None
            else {"doc": r.citation.doc, "title": r.citation.title, "section": r.citation.section},
        }
        for r in items
    ]


def respondent_json(r: RespondentValue) -> dict[str, Any]:
    """One respondent's delivered value, under the same keys in `cvm survey report --json`
    and `cvm customer --json` (the value itself is "delivered_value" in both)."""
    return {
        "respondent_id": r.respondent_id,
        "customer_id": r.customer_id,
        "segment": r.segment,
        "total_value": r.total_value,
        "total_cost": r.total_cost,
        "delivered_value": r.delivered,
        "ratio": r.ratio,
        "weakest": r.weakest,
    }


def _summary(s: DeliveredSummary) -> dict[str, Any]:
    return {
        "segment": s.segment,
        "n": s.n,
        "total_value": s.total_value,
        "total_cost": s.total_cost,
        "delivered_value": s.delivered,
        "ratio": s.ratio,
        "weakest": s.weakest,
        "components": [
            {
                "component": c.component,
                "kind": c.kind,
                "mean": c.mean,
                "weight": c.weight,
                "competitor": c.competitor,
            }
            for c in s.components
        ],
        "competitor": s.competitor,
        "relative_value": s.relative_value,
        "relative_cost": s.relative_cost,
        "map_position": s.map_position,
        "map_clear": s.map_clear,
        "share_negative": s.share_negative,
        "delivered_value_interval": [s.delivered_low, s.delivered_high],
        "weakest_tied": s.weakest_tied,
        "weakest_clear": s.weakest_clear,
        "enough_answers": s.sufficient,
        "needed": s.needed,
    }


def _link(link: RetentionLink | None) -> dict[str, Any] | None:
    if link is None:
        return None
    return {
        "n": link.n,
        "spearman_p_alive": link.rho_p_alive,
        "p_value_p_alive": link.p_value_p_alive,
        "spearman_clv": link.rho_clv,
        "p_value_clv": link.p_value_clv,
        "quintiles": [
            {
                "quintile": q.quintile,
                "n": q.n,
                "delivered_value": q.delivered,
                "p_alive": q.p_alive,
                "clv": q.clv,
                "high_risk_share": q.at_risk,
            }
            for q in link.quintiles
        ],
    }


def _waves(result: SurveyResult) -> dict[str, Any]:
    return {
        "wave": result.wave,
        "waves": [
            {"wave": w.wave, "n": w.n, "mean": w.mean, "change": w.change, "p_value": w.p_value}
            for w in result.waves
        ],
    }


def as_json(result: SurveyResult) -> dict[str, Any]:
    if result.kano is not None:
        return {
            "kano": [f.as_json_dict() for f in result.kano.features],
            "kano_details": {
                "respondents": result.kano.respondents,
                "segment": result.segment,
                "levels": {"M": "Q1", "O": "Q2", "A": "Q3"},
                "reverse_share": result.kano.reverse_share,
                "questionable_share": result.kano.questionable_share,
                "doubtful": result.kano.doubtful,
                "features": {
                    f.feature: {
                        "runner_up": f.runner_up,
                        "category_strength": f.strength,
                        "total_strength": f.total_strength,
                        "significant": f.significant,
                        "needed": f.needed,
                        "doubtful": f.doubtful,
                        "better_interval": [f.better_low, f.better_high],
                        "worse_interval": [f.worse_low, f.worse_high],
                    }
                    for f in result.kano.features
                },
                "advice": _advice(result.advice),
                **_waves(result),
                # per feature since the wave before: categories by wave, Holm-adjusted p
                "previous_wave": result.kano_since,
                "changes_since_previous_wave": [
                    {
                        "feature": c.feature,
                        "categories": c.categories,
                        "p_value": c.p_value,
                        "changed": c.differs,
                    }
                    for c in result.kano_changes
                ],
            },
        }
    if result.equity is not None:
        e = result.equity
        return {
            "equity": e.as_json_dict(),
            "equity_details": {
                "segment": result.segment,
                "method": e.method,
                "outcome": e.outcome,
                "scale": [e.scale.low, e.scale.high],
                "groups": e.group_shares,
                "priorities": {d.driver: d.priority.value for d in e.drivers},
                "fix_first": [d.driver for d in e.fix_first],
                "constant": e.constant,
                "adj_r2": e.adj_r2,
                "f_p_value": e.f_p_value,
                "significant": e.significant,
                "needed": e.needed,
                "group_lead": e.group_lead,
                "resamples": e.resamples,
                "interval_method": e.interval_method,
                "drivers": {
                    d.driver: {
                        "beta": d.beta,
                        "p_value": d.p_value,
                        "effect": d.effect.value,
                        "weight_interval": [d.weight_low, d.weight_high],
                        "share_interval": [d.share_low, d.share_high],
                    }
                    for d in e.drivers
                },
                "advice": _advice(result.advice),
                **_waves(result),
            },
        }
    assert result.delivered is not None
    d = result.delivered
    return {
        "delivered_value": {
            "scale": [d.scale.low, d.scale.high],
            "overall": _summary(d.overall),
            "segments": [_summary(s) for s in d.segments],
            "retention": _link(d.link),
            "respondents": [respondent_json(r) for r in d.respondents],
        },
        "delivered_value_details": {"advice": _advice(result.advice), **_waves(result)},
    }
