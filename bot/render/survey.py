"""Survey results to Telegram HTML (and, through the terminal's plain-text filter, to the
CLI), in the reader's language; feature, driver and segment names are escaped data."""

from __future__ import annotations

from collections.abc import Callable
from html import escape

import numpy as np

from bot.render.value import money, pct, recommendation_lines
from bot.surveys.service import SurveyResult
from bot.texts import t, tn
from knowledge.models import Lang
from value_engine.survey.advice import COMPONENT_NAMES, GROUP_NAMES
from value_engine.survey.bootstrap import RESAMPLES
from value_engine.survey.guardrails import MIN_RESPONDENTS
from value_engine.survey.models import (
    DeliveredReport,
    DriverWeight,
    Effect,
    EquityReport,
    Instrument,
    KanoFeature,
    KanoReport,
    RespondentValue,
    SurveyError,
)
from value_engine.survey.segments import compare_kano, compare_values

_LANG_INDEX = {Lang.EN: 0, Lang.ZH_HANT: 1, Lang.ZH_HANS: 2}


def instrument_name(instrument: Instrument, lang: Lang) -> str:
    return t(f"inst_{instrument.value}", lang)


def component_name(component: str, lang: Lang) -> str:
    names = COMPONENT_NAMES.get(component)
    return names[_LANG_INDEX[lang]] if names else component


def group_name(group: str, lang: Lang) -> str:
    names = GROUP_NAMES.get(group)
    return names[_LANG_INDEX[lang]] if names else group


def _num(value: float) -> str:
    return f"{value:.2f}"


def _signed(value: float) -> str:
    return f"{value:+.2f}"


def _interval(
    low: float,
    high: float,
    shown: bool,
    lang: Lang,
    fmt: Callable[[float], str] = _num,
    key: str = "interval_bracket",
) -> str:
    """The interval " (low to high)" after a figure, or nothing: not from fewer answers than the
    guardrails' minimum (one respondent gives "1.00 to 1.00"), nor where no resample could
    give a bound (NaN)."""
    if not shown or not (np.isfinite(low) and np.isfinite(high)):
        return ""
    return t(key, lang, low=fmt(low), high=fmt(high))


def _more(need: int, n: int) -> int:
    return max(need - n, 0)


def _names(names: list[str], lang: Lang) -> str:
    """A list of names as the language writes one: "a, b" or 「a、b」."""
    return (", " if lang is Lang.EN else "、").join(names)


def _header(title: str, n: int, segment: str | None, lang: Lang, high: int | None) -> list[str]:
    facts = [tn("survey_respondents", lang, n)]
    if segment:
        facts.append(t("survey_segment", lang, segment=escape(segment)))
    if high:
        facts.append(t("survey_scale", lang, high=high))
    return [f"<b>{escape(title)}</b>", " · ".join(facts)]


def survey_html(result: SurveyResult, lang: Lang) -> str:
    if result.delivered is not None:
        body = delivered_html(result.delivered, lang)
    elif result.kano is not None:
        body = kano_html(result.kano, result.segment, lang)
    else:
        assert result.equity is not None
        body = equity_html(result.equity, result.segment, lang)
    if len(result.waves) < 2 or result.wave is None:
        return body
    title, facts, rest = body.split("\n", 2)
    facts += " · " + t("survey_wave", lang, wave=escape(result.wave))
    return "\n".join([title, facts, rest, "", waves_html(result, lang)])


def waves_html(result: SurveyResult, lang: Lang) -> str:
    """Each wave's respondents and headline mean, and whether a change is more than chance."""
    lines = [f"<b>{t('survey_waves_title', lang)}</b>"]
    key = {
        Instrument.DELIVERED: "survey_wave_row_dv",
        Instrument.EQUITY: "survey_wave_row_eq",
    }.get(result.instrument, "survey_wave_row")
    for row in result.waves:
        n = tn("survey_respondents", lang, row.n)
        if row.mean is None:
            lines.append("• " + t("survey_wave_row", lang, wave=escape(row.wave), n=n))
            continue
        # Vc is a difference (its sign matters); the equity outcome is a rating
        mean = f"{row.mean:+.2f}" if result.instrument is Instrument.DELIVERED else _num(row.mean)
        text = t(key, lang, wave=escape(row.wave), n=n, mean=mean)
        if row.change is not None and row.p_value is None:
            text += t("survey_wave_untested", lang, change=f"{row.change:+.2f}")
        elif row.change is not None:
            verdict = "survey_wave_real" if row.significant else "survey_wave_noise"
            text += t(
                "survey_wave_change",
                lang,
                change=f"{row.change:+.2f}",
                p=_p_value(row.p_value),
                verdict=t(verdict, lang),
            )
        lines.append("• " + text)
    return "\n".join(lines + _kano_changes(result, lang))


def _kano_changes(result: SurveyResult, lang: Lang) -> list[str]:
    """Kano has no mean to follow: per feature, the category in the wave before and in
    this one, and whether the answers moved more than chance."""
    if not result.kano_changes or result.kano_since is None:
        return []
    lines = ["", t("wave_kano_since", lang, wave=escape(result.kano_since))]
    for change in result.kano_changes:
        shown = " → ".join(change.categories.values())
        if change.p_value is None:
            verdict = t("cmp_untestable", lang)
        else:
            key = "wave_kano_changed" if change.differs else "wave_kano_same"
            verdict = t(key, lang, p=_p_value(change.p_value))
        lines.append(
            "• "
            + t("cmp_kano_row", lang, feature=escape(change.feature), categories=shown,
                verdict=verdict)
        )  # fmt: skip
    return lines


def delivered_html(report: DeliveredReport, lang: Lang) -> str:
    o = report.overall
    high = report.scale.high
    lines = _header(t("dv_title", lang), o.n, o.segment, lang, high)
    lines += [
        t("dv_formula", lang),
        t(
            "dv_totals",
            lang,
            rc=_num(o.total_value),
            cc=_num(o.total_cost),
            vc=f"{o.delivered:+.2f}",
            ratio=_num(o.ratio),
        ),
    ]
    lines += delivered_limits(report, lang)
    for kind, title in (("value", "dv_values"), ("cost", "dv_costs")):
        lines += ["", t(title, lang)]
        for c in (c for c in o.components if c.kind == kind):
            key = "dv_component" if c.competitor is None else "dv_component_vs"
            lines.append(
                "• "
                + t(
                    key,
                    lang,
                    name=component_name(c.component, lang),
                    mean=_num(c.mean),
                    theirs=_num(c.competitor or 0.0),
                    weight=f"{c.weight:.1f}",
                )
            )
    if o.map_position is not None and o.competitor:
        lines += [
            "",
            t(
                "dv_map",
                lang,
                competitor=escape(o.competitor),
                rv=_num(o.relative_value or 0.0),
                rcost=_num(o.relative_cost or 0.0),
                position=t(f"dv_map_{o.map_position}", lang),
            ),
        ]
        if o.map_position != "fair" and not o.map_clear and o.sufficient:
            lines.append(t("dv_map_unclear", lang))
    lines += ["", f"<b>{t('dv_link_title', lang)}</b>"]
    link = report.link
    if link is None or link.rho_p_alive is None:
        lines.append(t("dv_link_none", lang))
    else:
        lines.append(
            t(
                "dv_link_rho",
                lang,
                n=link.n,
                rho_alive=f"{link.rho_p_alive:+.2f}",
                p_alive=_p_value(link.p_value_p_alive),
                rho_clv="–" if link.rho_clv is None else f"{link.rho_clv:+.2f}",
            )
        )
        significant = (link.p_value_p_alive or 1.0) < 0.05 and link.rho_p_alive > 0
        lines.append(t("dv_link_yes" if significant else "dv_link_no", lang))
        for q in link.quintiles:
            lines.append(
                "• "
                + t(
                    "dv_link_row",
                    lang,
                    q=q.quintile,
                    vc=f"{q.delivered:+.2f}",
                    alive=pct(q.p_alive),
                    clv=money(q.clv),
                    risk=pct(q.at_risk),
                )
            )
    if o.sufficient:
        lines += ["", f"<i>{t('interval_note', lang, resamples=f'{RESAMPLES:,}')}</i>"]
    return "\n".join(lines)


def delivered_limits(report: DeliveredReport, lang: Lang) -> list[str]:
    """The weakest component, its interval of Vc, and what the answers cannot tell yet."""
    o = report.overall
    lines = [
        t(
            "dv_interval",
            lang,
            vc=f"{o.delivered:+.2f}",
            interval=_interval(
                o.delivered_low, o.delivered_high, o.sufficient, lang, _signed, "interval_95"
            ),
            negative=pct(o.share_negative),
        )
    ]
    if o.weakest_tied:
        names = _names([component_name(c, lang) for c in o.weakest_tied], lang)
        lines.append(t("dv_weakest_tied", lang, names=names))
    else:
        lines.append(t("dv_weakest", lang, name=component_name(o.weakest, lang)))
    if not o.sufficient:
        lines.append(
            t(
                "dv_not_enough",
                lang,
                n=o.n,
                respondents=tn("survey_respondents", lang, o.n),
                need=MIN_RESPONDENTS,
                more=_more(MIN_RESPONDENTS, o.n),
            )
        )
    elif not o.weakest_clear and o.runner_up is not None:
        lines.append(
            t(
                "dv_weakest_unclear",
                lang,
                name=component_name(o.weakest, lang),
                runner=component_name(o.runner_up, lang),
            )
        )
        if o.needed > o.n:
            lines.append(t("dv_weakest_more", lang, need=o.needed, more=_more(o.needed, o.n)))
    return lines


def _p_value(p: float | None) -> str:
    if p is None:
        return "p –"
    return "p &lt; 0.001" if p < 0.001 else f"p = {p:.3f}"  # HTML: the "<" is escaped


KANO_ORDER = ("M", "O", "A", "I", "R", "Q")  # the order of the articles' levels


def _kano_category(f: KanoFeature, lang: Lang) -> str:
    if f.mixed:
        return f"{f.category.value}/{f.runner_up} {t('kano_mixed', lang)}"
    return f"{f.category.value} {t('kano_cat_' + f.category.value, lang)}"


def enough(f: KanoFeature) -> bool:
    """Enough answers for the feature's intervals to mean something (the guardrails' minimum)."""
    return f.n >= MIN_RESPONDENTS


def kano_html(report: KanoReport, segment: str | None, lang: Lang) -> str:
    lines = _header(t("kano_title", lang), report.respondents, segment, lang, None)
    lines += [t("kano_levels", lang), ""]
    lines += kano_limits(report, lang)
    for n, f in enumerate(report.features, 1):
        level = f" ({f.level})" if f.level and not f.mixed else ""
        lines.append(
            t(
                "kano_feature_row",
                lang,
                n=n,
                feature=escape(f.feature),
                category=_kano_category(f, lang),
                level=level,
                better=_num(f.better),
                binterval=_interval(f.better_low, f.better_high, enough(f), lang),
                worse=_num(f.worse),
                winterval=_interval(f.worse_low, f.worse_high, enough(f), lang),
            )
        )
        counts = " · ".join(f"{c} {f.counts[c]}" for c in KANO_ORDER)
        lines.append(
            t(
                "kano_counts",
                lang,
                counts=counts,
                strength=pct(f.strength),
                total=pct(f.total_strength),
            )
        )
        if f.doubtful:
            lines.append(t("kano_feature_doubtful", lang))
        if not f.significant:
            if f.needed > f.n:
                lines.append(t("kano_feature_more", lang, need=f.needed, more=_more(f.needed, f.n)))
            elif f.runner_up is not None and f.strength == 0:
                lines.append(t("kano_feature_tie", lang, a=f.category.value, b=f.runner_up))
    lines += ["", f"<i>{t('kano_explain', lang)}</i>", f"<i>{t('kano_quality_note', lang)}</i>"]
    if any(enough(f) for f in report.features):
        lines.append(f"<i>{t('interval_note', lang, resamples=f'{RESAMPLES:,}')}</i>")
    return "\n".join(lines)


def kano_limits(report: KanoReport, lang: Lang) -> list[str]:
    """Survey-wide warnings: odd answers, features without enough answers."""
    lines = []
    if report.doubtful:
        lines.append(
            t(
                "kano_doubtful",
                lang,
                reverse=pct(report.reverse_share),
                questionable=pct(report.questionable_share),
            )
        )
    unsettled = [f for f in report.features if f.n < MIN_RESPONDENTS or not f.significant]
    if any(f.n < MIN_RESPONDENTS for f in report.features):
        lines.append(
            t(
                "kano_not_enough",
                lang,
                count=len(unsettled),
                total=len(report.features),
                need=MIN_RESPONDENTS,
            )
        )
    return lines


def equity_html(report: EquityReport, segment: str | None, lang: Lang) -> str:
    lines = _header(t("eq_title", lang), report.n, segment, lang, report.scale.high)
    outcome = t(f"eq_outcome_{report.outcome}", lang)
    lines.append(
        t(
            "eq_model",
            lang,
            r2=pct(report.r2),
            outcome=outcome,
            n=report.n,
            method=t(f"eq_method_{report.method}", lang),
        )
    )
    lines.append(t("eq_fit", lang, adj=pct(report.adj_r2), p=_p_value(report.f_p_value)))
    lines += equity_limits(report, lang)
    lines.append("")
    for n, d in enumerate(report.drivers, 1):
        direction = (
            t("dir_unclear", lang, beta=f"{round(d.beta, 2) + 0.0:+.2f}")
            if d.effect is Effect.UNCLEAR
            else t(f"dir_{d.effect.value}", lang, outcome=outcome)
        )
        lines.append(
            t(
                "eq_driver_row",
                lang,
                n=n,
                group=group_name(d.group, lang),
                driver=escape(d.driver),
                share=pct(d.share),
                interval=_interval(d.share_low, d.share_high, report.sufficient, lang, pct),
                direction=direction,
                performance=_num(d.performance),
                priority=t(f"prio_{_priority(report, d)}", lang),
            )
        )
    shares = report.group_shares  # only the groups the survey asked about
    parts = [f"{group_name(g, lang)} {pct(v)}" for g, v in shares.items()]
    lines += ["", t("eq_groups", lang, shares=" · ".join(parts))]
    if report.significant and report.group_lead is None:
        lines.append(t("eq_no_lead", lang))
    if report.fix_first:
        names = _names([escape(d.driver) for d in report.fix_first], lang)
        lines.append(t("eq_fix_first", lang, drivers=names))
    if report.constant:
        constant = _names([escape(c) for c in report.constant], lang)
        lines.append(t("eq_constant", lang, drivers=constant))
    if report.sufficient and report.resamples:
        lines += ["", f"<i>{t('interval_note', lang, resamples=f'{report.resamples:,}')}</i>"]
    return "\n".join(lines)


def _priority(report: EquityReport, d: DriverWeight) -> str:
    """A driver whose direction is clear in a model too small or too weak to rank drivers
    is "not ranked yet", not "no clear effect" next to its ↑ or ↓."""
    if not report.significant and d.effect is not Effect.UNCLEAR:
        return "not_ranked"
    return d.priority.value


def equity_limits(report: EquityReport, lang: Lang) -> list[str]:
    """What the model cannot tell (too few answers, no link beyond chance), then the
    drivers that hurt (equity_hurting)."""
    return equity_gaps(report, lang) + equity_hurting(report, lang)


def equity_gaps(report: EquityReport, lang: Lang) -> list[str]:
    """What the model cannot tell: too few answers, no link beyond chance."""
    outcome = t(f"eq_outcome_{report.outcome}", lang)
    lines = []
    if not report.sufficient:
        k = sum(1 for d in report.drivers if d.driver not in report.constant)
        lines.append(
            t(
                "eq_not_enough",
                lang,
                n=report.n,
                k=k,
                respondents=tn("survey_respondents", lang, report.n),
                drivers=tn("n_drivers", lang, k),
                need=report.needed,
                more=_more(report.needed, report.n),
            )
        )
    elif report.f_p_value >= 0.05:
        lines.append(t("eq_not_significant", lang, outcome=outcome, p=_p_value(report.f_p_value)))
        need = report.needed_for_f
        if need is not None and need > report.n:
            lines.append(t("eq_more_for_f", lang, need=need, more=_more(need, report.n)))
        elif need is None:
            lines.append(t("eq_no_link", lang))
    return lines


def equity_hurting(report: EquityReport, lang: Lang) -> list[str]:
    """Drivers that hurt (a negative effect a manager must not invest in): a finding, shown
    on the card and on the advice card whether or not there is other advice."""
    hurting = [d for d in report.drivers if d.effect is Effect.HURTS]
    if not hurting or not report.significant:
        return []
    names = _names([escape(d.driver) for d in hurting], lang)
    key = "eq_hurts" if len(hurting) == 1 else "eq_hurts_many"
    return [t(key, lang, drivers=names, outcome=t(f"eq_outcome_{report.outcome}", lang))]


def compare_html(
    instrument: Instrument, rows: list[tuple[str, SurveyResult | SurveyError]], lang: Lang
) -> str:
    lines = [
        f"<b>{t('survey_compare_title', lang, instrument=instrument_name(instrument, lang))}</b>"
    ]
    if not rows:
        lines.append(t("survey_compare_none", lang))
    for segment, found in rows:
        name = escape(segment)
        if isinstance(found, SurveyError):
            lines.append(
                "• "
                + t(
                    "survey_compare_failed",
                    lang,
                    segment=name,
                    reason=survey_error_text(found, lang),
                )
            )
        elif found.delivered is not None:
            o = found.delivered.overall
            lines.append(
                "• "
                + t(
                    "survey_compare_dv",
                    lang,
                    segment=name,
                    n=o.n,
                    vc=f"{o.delivered:+.2f}",
                    rc=_num(o.total_value),
                    cc=_num(o.total_cost),
                    weakest=component_name(o.weakest, lang),
                )
            )
        elif found.kano is not None:
            n = tn("survey_respondents", lang, found.kano.respondents)
            lines.append("• " + t("cmp_kano_segment", lang, segment=name, respondents=n))
        elif found.equity is not None:
            top = _names([escape(d.driver) for d in found.equity.drivers[:3]], lang)
            lines.append(
                "• "
                + t(
                    "survey_compare_eq",
                    lang,
                    segment=name,
                    n=found.equity.n,
                    r2=pct(found.equity.r2),
                    drivers=top,
                )
                + " · "
                + t(
                    "cmp_eq_status_ok" if found.equity.significant else "cmp_eq_status_not",
                    lang,
                )
            )
    lines += _compare_tests(rows, lang)
    return "\n".join(lines)


def _verdict(p: float | None, lang: Lang) -> str:
    if p is None:
        return t("cmp_untestable", lang)
    return t("cmp_differ" if p < 0.05 else "cmp_same", lang, p=_p_value(p))


def _compare_tests(rows: list[tuple[str, SurveyResult | SurveyError]], lang: Lang) -> list[str]:
    """Per Kano feature, each segment's category and whether the segments differ; for
    delivered value, whether the segments' values differ."""
    kano_reports = {s: r.kano for s, r in rows if isinstance(r, SurveyResult) and r.kano}
    if len(kano_reports) >= 2:
        lines = [""]
        for c in compare_kano(kano_reports):
            shown = " · ".join(f"{escape(s)} {cat}" for s, cat in c.categories.items())
            lines.append(
                "• "
                + t(
                    "cmp_kano_row",
                    lang,
                    feature=escape(c.feature),
                    categories=shown,
                    verdict=_verdict(c.p_value, lang),
                )
            )
        return [*lines, f"<i>{t('cmp_kano_note', lang)}</i>"]
    values = {
        s: np.array([v.delivered for v in r.delivered.respondents])
        for s, r in rows
        if isinstance(r, SurveyResult) and r.delivered
    }
    if len(values) >= 2:
        return ["", t("cmp_dv", lang, verdict=_verdict(compare_values(values), lang))]
    return []


def survey_advice_html(result: SurveyResult, lang: Lang) -> str:
    title = t("survey_advice_title", lang, instrument=instrument_name(result.instrument, lang))
    lines = [f"<b>{title}</b>"]
    if not result.advice:
        lines.append(t("survey_no_advice", lang))
        limits = survey_limits(result, lang)
        if limits:
            lines += ["", t("survey_cannot_tell", lang), *limits]
    for n, rec in enumerate(result.advice, 1):
        lines += ["", *recommendation_lines(n, rec, lang)]
    if result.equity is not None:
        hurting = equity_hurting(result.equity, lang)
        if hurting:
            lines += ["", *hurting]
    return "\n".join(lines)


def survey_limits(result: SurveyResult, lang: Lang) -> list[str]:
    """What the answers cannot tell yet, for the advice card when there is no advice."""
    if result.delivered is not None:
        return delivered_limits(result.delivered, lang)[1:]
    if result.kano is not None:
        return kano_limits(result.kano, lang)
    assert result.equity is not None
    return equity_gaps(result.equity, lang)


def survey_error_text(problem: SurveyError, lang: Lang) -> str:
    values = {k: escape(str(v)) for k, v in problem.values.items()}
    return t(f"survey_err_{problem.code}", lang, **values)


def customer_survey_line(value: RespondentValue, high: int, lang: Lang) -> str:
    return t(
        "dv_customer",
        lang,
        vc=f"{value.delivered:+.2f}",
        high=high,
        rc=_num(value.total_value),
        cc=_num(value.total_cost),
        weakest=component_name(value.weakest, lang),
    )


def survey_chart_labels(lang: Lang, competitor: str | None = None) -> dict[str, str]:
    keys = [
        "chart_dv_title", "chart_dv_ours", "chart_dv_values", "chart_dv_costs",
        "chart_map_title", "chart_map_x", "chart_map_y", "chart_map_fair", "chart_map_all",
        "chart_kano_title", "chart_kano_x", "chart_kano_y", "chart_kano_A", "chart_kano_O",
        "chart_kano_M", "chart_kano_I", "chart_ipa_title", "chart_ipa_x", "chart_ipa_y",
        "chart_ipa_fix_first", "chart_ipa_keep_up", "chart_ipa_low_priority",
        "chart_ipa_possible_overkill",
    ]  # fmt: skip
    labels = {key.removeprefix("chart_"): t(key, lang) for key in keys}
    labels["dv_theirs"] = t("chart_dv_theirs", lang, competitor=competitor or "")
    for component in COMPONENT_NAMES:
        labels[f"component_{component}"] = component_name(component, lang)
    return labels
