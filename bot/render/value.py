"""Customer value objects to Telegram HTML, in the reader's language; all data is escaped."""

from __future__ import annotations

from html import escape

from bot.customers.import_report import ImportKind, ImportReport, RowIssue
from bot.texts import t, tn
from knowledge.models import Lang
from knowledge.script import to_script
from value_engine.models import (
    BgNbdParams,
    CustomerBreakdown,
    CustomerScore,
    FitNote,
    FitQuality,
    GammaGammaParams,
    Recommendation,
    SegmentStats,
)

AVERAGE_SPEND_NOTES = (FitNote.FEW_REPEAT_BUYERS, FitNote.SPEND_ALIKE, FitNote.SPEND_HEAVY_TAILED)
LANG_CODES = {Lang.EN: "en", Lang.ZH_HANT: "zh-Hant", Lang.ZH_HANS: "zh-Hans"}


def money(value: float) -> str:
    return f"{value:,.0f}"


def pct(value: float) -> str:
    text = f"{value * 100:.0f}%"
    return "0%" if text == "-0%" else text  # -0.2% (an adjusted R² just below zero) is 0%


def segment_name(segment: str, lang: Lang) -> str:
    return t(f"seg_{segment}", lang)


def card_html(b: CustomerBreakdown, lang: Lang, default_margin: float) -> str:
    s = b.score
    months = b.horizon_months
    lines = [
        "<b>"
        + t("card_title", lang, customer_id=escape(b.customer_id), name=escape(b.name))
        + "</b>",
    ]
    if b.attributes:
        lines.append(" · ".join(escape(v) for k, v in b.attributes.items() if k != "referred_by"))
    lines += [
        "",
        f"{t('tier', lang)}: <b>{t('tier_' + s.tier.value, lang)}</b>",
        f"{t('clv', lang, months=months)}: <b>{money(s.clv)}</b>",
        f"{t('realized', lang)}: {money(s.realized_value)}",
        f"{t('potential', lang)}: {money(s.potential_value)}",
        f"{t('influence', lang)}: {money(s.influence_value)}",
        f"{t('p_alive', lang)}: {pct(s.p_alive)}",
        f"{t('expected_purchases', lang, months=months)}: {s.expected_purchases:.1f}",
        f"{t('rfm', lang)}: {segment_name(s.segment.value, lang)} "
        f"(R{s.r_score} F{s.f_score} M{s.m_score})",
        f"{t('risk', lang)}: {t('risk_' + s.risk.value, lang)}",
        f"{t('trend', lang)}: {t('trend_' + s.trend.value, lang)}",
    ]
    if b.drivers:
        reasons = "; ".join(t("drv_" + d, lang) for d in b.drivers)
        lines += ["", f"<i>{t('drivers', lang)}: {reasons}</i>"]
    lines += ["", f"<i>{t('as_of', lang, date=b.as_of.isoformat())}</i>"]
    if b.margin_assumed:
        lines.append(f"<i>{t('margin_assumed', lang, rate=f'{default_margin:g}')}</i>")
    if b.models is not None:
        quality = fit_quality_lines(b.models.quality, b.models.bgnbd, b.models.gamma_gamma, lang)
        lines += [f"<i>{escape(line)}</i>" for line in quality]
    return "\n".join(lines)


def fit_quality_lines(
    quality: FitQuality,
    bgnbd: BgNbdParams,
    spend: GammaGammaParams | None,
    lang: Lang,
    holdout: bool = False,
) -> list[str]:
    """What a manager must know before acting on the numbers, in plain words (not HTML).

    `holdout` also reports the holdout check when it passed (the CLI shows it always;
    the card only when it failed)."""
    lines = [] if quality.reliable else [t("fitq_unreliable", lang)]
    for note in quality.notes:
        if note is FitNote.HOLDOUT_OFF:
            continue  # said by the holdout line below
        if note in AVERAGE_SPEND_NOTES:
            amount = money(spend.mean_spend if spend is not None else 0.0)
            lines.append(t(f"fitq_{note.value}", lang, amount=amount))
        elif note in (FitNote.DROPOUT_ALIKE, FitNote.DROPOUT_SPLIT):
            lines.append(t(f"fitq_{note.value}", lang, share=pct(bgnbd.p)))
        elif note is FitNote.AT_BOUND:
            names = ", ".join((*bgnbd.at_bound, *(spend.at_bound if spend is not None else ())))
            lines.append(t("fitq_at_bound", lang, names=names or "?"))
        else:
            lines.append(t(f"fitq_{note.value}", lang))
    error = quality.holdout_error
    if error is not None and (holdout or FitNote.HOLDOUT_OFF in quality.notes):
        lines.append(
            t(
                "fitq_holdout",
                lang,
                days=quality.holdout_days,
                predicted=money(quality.holdout_predicted or 0.0),
                actual=money(float(quality.holdout_actual or 0)),
                error=f"{error * 100:+.1f}%",
            )
        )
    return lines


def recommendations_html(b: CustomerBreakdown, lang: Lang) -> str:
    lines = [f"<b>{t('recommendations_title', lang, customer_id=escape(b.customer_id))}</b>"]
    if not b.recommendations:
        lines.append(t("no_recommendations", lang))
    for n, rec in enumerate(b.recommendations, 1):
        lines += ["", *recommendation_lines(n, rec, lang)]
    return "\n".join(lines)


def quoted_excerpt(text: str, at: int, width: int = 160, before: int = 20) -> str:
    """The part of a passage around the quoted sentence, so the reader sees the words the
    advice rests on, not the passage's opening."""
    if len(text) <= width:
        return text
    start = max(0, min(at - before, len(text) - width))
    # Start at the beginning of the quote's sentence when it is close by.
    stop = max(text.rfind(mark, start, at) for mark in "。!?\n")
    if stop >= 0 and at - stop <= before:
        start = stop + 1
    end = min(len(text), start + width)
    return ("…" if start else "") + text[start:end].strip() + ("…" if end < len(text) else "")


def recommendation_lines(n: int, rec: Recommendation, lang: Lang) -> list[str]:
    code = LANG_CODES[lang]
    lines = [f"{n}. <b>{escape(rec.action[code])}</b>", f"   <i>{escape(rec.reason[code])}</i>"]
    if rec.citation is not None:
        c = rec.citation
        title = (
            to_script(f"{c.title} — {c.section}", lang)
            if lang is not Lang.EN
            else f"{c.title} — {c.section}"
        )
        excerpt = quoted_excerpt(c.text, c.at)
        if lang is not Lang.EN:
            excerpt = to_script(excerpt, lang)
        lines.append(f"   📚 {t('source', lang)}: {escape(title)}")
        lines.append(f"   <blockquote>{escape(excerpt)}</blockquote>")
    return lines


def transactions_html(
    customer_id: str,
    rows: list[tuple[str, float]],
    count: int,
    lang: Lang,
    published: bool = False,
) -> str:
    if published and not rows:  # no count: the bot holds none of them
        return f"<b>{escape(customer_id)}</b>\n{t('transactions_in_warehouse', lang)}"
    title = f"<b>{t('transactions_title', lang, customer_id=escape(customer_id), count=count)}</b>"
    if not rows:
        return f"{title}\n{t('no_transactions', lang)}"
    table = "\n".join(f"{day}  {amount:>12,.2f}" for day, amount in rows)
    return f"{title}\n<pre>{table}</pre>"


def compare_html(s: CustomerScore, stats: SegmentStats | None, lang: Lang) -> str:
    if stats is None:
        return t("no_recommendations", lang)
    header = t(
        "compare_title",
        lang,
        customer_id=escape(s.customer_id),
        segment=segment_name(stats.segment.value, lang),
        count=stats.customers,
    )
    this, avg = t("this_customer", lang), t("segment_avg", lang)
    rows = [
        ("", this, avg),
        ("CLV", money(s.clv), money(stats.avg_clv)),
        (
            t("short_realized", lang),
            money(s.realized_value),
            money(stats.avg_realized),
        ),
        ("P(alive)", pct(s.p_alive), pct(stats.avg_p_alive)),
    ]
    table = "\n".join(f"{a:<10} {b:>12} {c:>12}" for a, b, c in rows)
    return f"<b>{header}</b>\n<pre>{escape(table)}</pre>"


def top_html(rows: list[tuple[CustomerScore, str, float]], lang: Lang) -> str:
    lines = [f"<b>{t('top_title', lang, n=len(rows))}</b>", ""]
    for n, (score, name, cumulative) in enumerate(rows, 1):
        lines.append(
            f"{n}. <code>{escape(score.customer_id)}</code> {escape(name)} · {score.tier.value} · "
            f"{money(score.realized_value)} · {t('cumulative', lang)} {pct(cumulative)}"
        )
    return "\n".join(lines)


def segments_html(stats: list[SegmentStats], lang: Lang) -> str:
    lines = [f"<b>{t('segments_title', lang)}</b>", f"<i>{t('segments_header', lang)}</i>", ""]
    for s in sorted(stats, key=lambda x: x.share_profit, reverse=True):
        lines.append(
            f"{segment_name(s.segment.value, lang)} · {s.customers} · {pct(s.share_profit)} · "
            f"{money(s.avg_clv)} · {pct(s.avg_p_alive)}"
        )
    return "\n".join(lines)


def _issue_line(issue: RowIssue, lang: Lang) -> str:
    return f"{t('line', lang)} {issue.line}: " if issue.line else ""


def import_html(
    report: ImportReport, file_name: str, lang: Lang, errors: int = 15, skipped: int = 10
) -> str:
    """The import's outcome, then at most `errors` bad lines (or `skipped` skipped lines),
    each in plain words and in the file's order."""
    name = escape(file_name)
    if report.error_count:
        lines = [tn("import_failed", lang, report.error_count, file=name)]
        for issue in report.errors[:errors]:
            reason = t("err_" + issue.code, lang, value=issue.value)
            lines.append(f"• {_issue_line(issue, lang)}{escape(reason)}")
        if report.error_count > errors:
            lines.append(t("more_errors", lang, n=report.error_count - errors))
        return "\n".join(lines)
    rows = tn("n_rows", lang, report.rows)
    if report.kind is ImportKind.SURVEY:
        details = [report.encoding]
        if report.scale:  # a Kano survey's answers are words, not points on a scale
            details.append(t("import_survey_scale", lang, scale=report.scale))
        done = t(
            "import_survey_done",
            lang,
            instrument=t("inst_" + report.instrument, lang),
            file=name,
            details=", ".join(details) if lang is Lang.EN else ",".join(details),
            rows=rows,
            inserted=tn("n_new_respondents", lang, report.inserted),
            updated=report.updated,
            skipped=report.skipped_count,
        )
        if report.wave_of_its_own:
            own = {"wave": escape(report.wave), "other": escape(report.wave_of_its_own)}
            done += "\n" + t("import_survey_own_wave", lang, **own)
        elif report.wave:
            done += "\n" + t("import_survey_wave", lang, wave=escape(report.wave))
        if report.scale_inferred:
            done += "\n" + t("import_scale_inferred", lang, scale=report.scale)
    else:
        done = t(
            "import_done",
            lang,
            kind=t("kind_" + report.kind.value, lang),
            file=name,
            encoding=report.encoding,
            rows=rows,
            inserted=report.inserted,
            updated=report.updated,
            skipped=report.skipped_count,
        )
    return "\n".join([done, *_skipped_lines(report, lang, skipped)])


def _skipped_lines(report: ImportReport, lang: Lang, limit: int) -> list[str]:
    shown = sorted(report.skipped, key=lambda issue: issue.line)[:limit]
    lines = [
        "• "
        + t(
            "skipped_line",
            lang,
            where=_issue_line(issue, lang),
            reason=escape(t("skip_" + issue.code, lang, value=issue.value)),
        )
        for issue in shown
    ]
    if report.skipped_count > len(shown):
        lines.append(t("more_skipped", lang, n=report.skipped_count - len(shown)))
    return lines


def breakdown_chart_labels(lang: Lang) -> dict[str, str]:
    return {
        "realized": t("short_realized", lang),
        "potential": t("short_potential", lang),
        "influence": t("short_influence", lang),
        "composition": t("chart_composition", lang),
        "history": t("chart_history", lang),
        "no_history": t("chart_no_history", lang),
    }


def segments_chart_labels(lang: Lang) -> dict[str, str]:
    return {
        "customers": t("chart_customers", lang),
        "profit": t("chart_profit", lang),
        "title": t("segments_title", lang),
    }
