"""Customer delivered value from ratings of the articles' value and cost components.

Article 001: Vc = Rc - Cc, the total value a customer receives minus the total cost they
bear. Rc is read here as the importance-weighted mean rating of the value components
(product, service, personnel, image) and Cc as that of the cost components (monetary,
usage, time, energy), where a cost rated high means the customer feels it costs a lot.
With the same ratings for a competitor, the ratios of ours to theirs place the company on
Gale's customer value map (relative perceived value against relative cost).

The overall (and each segment's) Rc, Cc and Vc are the means of the respondents' own
values, not values computed from mean ratings and mean weights: with importance weights
the two differ (two respondents who each weight the component they rate 5 give 4.33, not
3.00), and only the mean of the respondents' own values is what a typical customer gets.
The weakest component is advised on only when it is weaker than the runner-up beyond
chance (guardrails); a tie is named as a tie.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from value_engine.survey import bootstrap, guardrails
from value_engine.survey.models import (
    COST_COMPONENTS,
    VALUE_COMPONENTS,
    ComponentScore,
    DeliveredReport,
    DeliveredSummary,
    RespondentValue,
    Scale,
    SurveyError,
)


@dataclass(frozen=True, slots=True)
class DeliveredData:
    """Answers as arrays; a component the survey did not ask about is simply absent."""

    respondent_ids: list[str]
    customer_ids: list[str | None]
    segments: list[str | None]
    components: list[str]  # a subset of VALUE_COMPONENTS + COST_COMPONENTS, columns below
    ratings: np.ndarray  # respondents x components
    weights: np.ndarray  # respondents x components (1 where the file gives no importance)
    competitor_ratings: np.ndarray | None = None  # respondents x components, NaN where blank
    competitor: str | None = None


def _kinds(components: list[str]) -> tuple[np.ndarray, np.ndarray]:
    value = np.array([c in VALUE_COMPONENTS for c in components])
    cost = np.array([c in COST_COMPONENTS for c in components])
    if not value.any() or not cost.any():
        raise SurveyError("delivered_needs_both")
    return value, cost


def _weighted(ratings: np.ndarray, weights: np.ndarray, columns: np.ndarray) -> np.ndarray:
    r, w = ratings[:, columns], weights[:, columns]
    mean: np.ndarray = (r * w).sum(axis=1) / w.sum(axis=1)
    return mean


def _shortfall(
    ratings: np.ndarray, weights: np.ndarray, value: np.ndarray, scale: Scale
) -> np.ndarray:
    """How far each component is from ideal (top for value, bottom for cost), weighted."""
    gap: np.ndarray = np.where(value, scale.high - ratings, ratings - scale.low) * weights
    return gap


TIE = 1e-9  # shortfalls this close are a tie


def _weakest(shortfall: np.ndarray, names: list[str]) -> tuple[list[str], str | None, bool, int]:
    """(components tied for weakest, the runner-up, weaker than the runner-up beyond chance,
    respondents needed before advising on it: 0 when enough or when no number of answers
    like these would settle it). `shortfall` is respondents x components."""
    n = shortfall.shape[0]
    floor = 0 if n >= guardrails.MIN_RESPONDENTS else guardrails.MIN_RESPONDENTS
    mean = shortfall.mean(axis=0)
    order = np.argsort(-mean, kind="stable")
    tied = [names[j] for j in order if mean[order[0]] - mean[j] <= TIE]
    if len(tied) > 1 or len(names) < 2:
        return tied, None, False, floor
    diff = shortfall[:, order[0]] - shortfall[:, order[1]]
    low, _ = bootstrap.interval(bootstrap.resampled_means(diff[:, None]))
    if not floor and low[0] > 0:
        return tied, names[order[1]], True, 0
    sd = float(diff.std(ddof=1)) if n > 1 else 0.0
    more = guardrails.mean_needed(float(diff.mean()), sd) or 0
    return tied, names[order[1]], False, max(floor, more if more > n else 0)


def _map_clear(
    ours: np.ndarray, theirs: np.ndarray, weights: np.ndarray, value: np.ndarray, side: str
) -> bool:
    """Does the value map's verdict ("better" or "worse" than fair) hold in the bootstrap
    95% interval of relative value / relative cost?"""
    if side == "fair" or ours.shape[0] < guardrails.MIN_RESPONDENTS:
        return False
    m = ours.shape[1]
    means = bootstrap.resampled_means(np.column_stack([ours, theirs, weights]))
    us, them, w = means[:, :m], means[:, m : 2 * m], means[:, 2 * m :]
    cost = ~value

    def weighted(r: np.ndarray, kind: np.ndarray) -> np.ndarray:
        result: np.ndarray = (r[:, kind] * w[:, kind]).sum(axis=1) / w[:, kind].sum(axis=1)
        return result

    with np.errstate(divide="ignore", invalid="ignore"):
        balance = (weighted(us, value) / weighted(them, value)) / (
            weighted(us, cost) / weighted(them, cost)
        )
    low, high = bootstrap.interval(balance[:, None])
    return bool(high[0] < 1.0) if side == "worse" else bool(low[0] > 1.0)


def _summary(
    data: DeliveredData, rows: np.ndarray, segment: str | None, scale: Scale
) -> DeliveredSummary:
    value, cost = _kinds(data.components)
    ratings = data.ratings[rows]
    weights = data.weights[rows]
    mean = ratings.mean(axis=0)
    mean_weight = weights.mean(axis=0)
    rc = _weighted(ratings, weights, value)
    cc = _weighted(ratings, weights, cost)
    vc = rc - cc
    total_value, total_cost = float(rc.mean()), float(cc.mean())
    tied, runner_up, clear, needed = _weakest(
        _shortfall(ratings, weights, value, scale), data.components
    )
    vc_low, vc_high = bootstrap.interval(bootstrap.resampled_means(vc[:, None]))
    competitor_mean: np.ndarray | None = None
    relative_value = relative_cost = None
    map_clear = False
    if data.competitor_ratings is not None:
        theirs = data.competitor_ratings[rows]
        answered = ~np.isnan(theirs).any(axis=1)
        if answered.sum() >= 1:
            competitor_mean = theirs[answered].mean(axis=0)
            ours = ratings[answered].mean(axis=0)
            w = weights[answered].mean(axis=0)
            rc_us = (ours[value] * w[value]).sum() / w[value].sum()
            rc_them = (competitor_mean[value] * w[value]).sum() / w[value].sum()
            cc_us = (ours[cost] * w[cost]).sum() / w[cost].sum()
            cc_them = (competitor_mean[cost] * w[cost]).sum() / w[cost].sum()
            relative_value = float(rc_us / rc_them)
            relative_cost = float(cc_us / cc_them)
            balance = relative_value / relative_cost
            side = "better" if balance > 1.05 else "worse" if balance < 0.95 else "fair"
            map_clear = _map_clear(
                ratings[answered], theirs[answered], weights[answered], value, side
            )
    components = [
        ComponentScore(
            component=name,
            kind="value" if value[j] else "cost",
            mean=float(mean[j]),
            weight=float(mean_weight[j]),
            competitor=None if competitor_mean is None else float(competitor_mean[j]),
        )
        for j, name in enumerate(data.components)
    ]
    return DeliveredSummary(
        segment=segment,
        n=int(rows.size),
        total_value=total_value,
        total_cost=total_cost,
        delivered=float(vc.mean()),
        ratio=total_value / total_cost,
        weakest=tied[0],
        components=components,
        competitor=data.competitor if competitor_mean is not None else None,
        relative_value=relative_value,
        relative_cost=relative_cost,
        share_negative=float((vc < 0).mean()),
        delivered_low=float(vc_low[0]),
        delivered_high=float(vc_high[0]),
        weakest_tied=tied if len(tied) > 1 else [],
        weakest_clear=clear,
        runner_up=runner_up,
        needed=needed,
        map_clear=map_clear,
    )


def per_respondent(data: DeliveredData, scale: Scale) -> list[RespondentValue]:
    value, cost = _kinds(data.components)
    rc = _weighted(data.ratings, data.weights, value)
    cc = _weighted(data.ratings, data.weights, cost)
    weakest = np.argmax(_shortfall(data.ratings, data.weights, value, scale), axis=1)
    return [
        RespondentValue(
            respondent_id=rid,
            customer_id=data.customer_ids[i],
            segment=data.segments[i],
            total_value=float(rc[i]),
            total_cost=float(cc[i]),
            delivered=float(rc[i] - cc[i]),
            ratio=float(rc[i] / cc[i]),
            weakest=data.components[weakest[i]],
        )
        for i, rid in enumerate(data.respondent_ids)
    ]


def analyse(data: DeliveredData, scale: Scale, segment: str | None = None) -> DeliveredReport:
    """Everyone (or one segment), each segment with at least one respondent, and each
    respondent."""
    if not data.respondent_ids:
        raise SurveyError("no_answers")
    segments = np.array([s or "" for s in data.segments])
    rows = np.arange(len(data.respondent_ids))
    if segment is not None:
        rows = np.flatnonzero(segments == segment)
        if rows.size == 0:
            raise SurveyError("unknown_segment", segment=segment)
    overall = _summary(data, rows, segment, scale)
    names = sorted({s for s in segments[rows] if s})
    by_segment = [_summary(data, rows[segments[rows] == name], name, scale) for name in names]
    chosen = set(rows.tolist())
    respondents = [r for i, r in enumerate(per_respondent(data, scale)) if i in chosen]
    return DeliveredReport(
        scale=scale, overall=overall, segments=by_segment, respondents=respondents
    )
