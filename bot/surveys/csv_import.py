"""Validated, all-or-nothing imports of survey answers, with the transaction import's rules.

Every row is checked first (answers whole points on the scale, the outcome too, no missing
answer, known customers, Kano answers the table knows, each respondent once); any bad row
is reported with its line and reason and nothing is written. The scale is the file's own
(a scale column or --scale) or the one stored for the instrument; a file that declares
none is read as 1-5, the articles' scale, and a rating above 5 in it is refused with its
line rather than stretching the whole survey to fit one typo. A file with no answers at all
is refused: it would create a survey nobody answered. A respondent already in the database
gets the file's answers (items the file does not ask about are kept), so importing a file
twice changes nothing the second time.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date

from sqlalchemy import Engine, Row, select

from bot.customers.csv_import import (
    CONTROL_CHARACTERS,
    Progress,
    clean_id,
    numbered_rows,
    parse_number,
    read_header,
    sniff_header,
)
from bot.customers.import_report import ImportKind, ImportReport
from bot.customers.store import CUSTOMER
from bot.surveys import layouts
from bot.surveys.answers import kano_code
from bot.surveys.parsed import ParsedRespondent, ParsedSurvey
from bot.surveys.store import INSTRUMENT
from bot.surveys.writer import write
from value_engine.survey.models import COST_COMPONENTS, VALUE_COMPONENTS, Instrument

MAX_SCALE = 100
MAX_WAVE_NAME = 64
DEFAULT_SCALE = 5  # the articles' ratings; any other scale is declared


def detect_instrument(data: bytes) -> Instrument | None:
    header = sniff_header(data)
    return None if header is None else layouts.detect(header)


def import_survey(
    engine: Engine,
    data: bytes,
    instrument: Instrument | None = None,
    scale: int | None = None,
    competitor: str | None = None,
    max_rows: int | None = None,
    encoding: str | None = None,
    progress: Progress | None = None,
    wave: str | None = None,
    today: date | None = None,
) -> ImportReport:
    """`instrument` None: recognised from the header. `scale` None: the file's `scale`
    column, else the scale already stored for the instrument, else 1-5. `wave` None: the
    wave the file repeats, else one named by `today` (bot.surveys.writer)."""
    started = time.perf_counter()
    report = ImportReport(ImportKind.SURVEY)
    if wave is not None:
        wave = " ".join(wave.split())
        if not wave or len(wave) > MAX_WAVE_NAME or CONTROL_CHARACTERS.search(wave):
            report.error(0, "bad_wave", wave[:MAX_WAVE_NAME])
            return report
    opened = read_header(data, report, encoding)
    if opened is None:
        return report
    rows, header = opened
    chosen = instrument or layouts.detect(header)
    if chosen is None:
        report.error(1, "unknown_survey")
        return report
    report.instrument = chosen.value
    layout = layouts.layout(header, chosen)
    if layout.missing:
        report.error(1, "missing_columns", ", ".join(layout.missing))
        return report
    if layout.unknown and chosen is not Instrument.KANO:
        report.error(1, "unknown_columns", ", ".join(layout.unknown[:5]))
        return report
    with engine.connect() as connection:
        known = dict(connection.execute(select(CUSTOMER.c.id, CUSTOMER.c.segment)).all())
        stored = connection.execute(
            select(INSTRUMENT.c.scale_high).where(INSTRUMENT.c.instrument == chosen.value)
        ).first()
    lines = data.count(b"\n") + 1
    parsed = ParsedSurvey(competitor_name=competitor)
    reader = numbered_rows(rows, report, max_rows, progress, 2 * lines)
    if chosen is Instrument.KANO:
        _parse_kano(reader, layout, known, parsed, report)
    else:
        _parse_wide(reader, layout, known, parsed, report)
    if not parsed.respondents and not report.error_count:
        report.error(1, "no_answers")
        return _done(report, started)
    # Ratings off the scale are reported with the other bad rows, in the file's order.
    report.scale = _scale(scale, parsed, stored, report)
    if report.scale and chosen is not Instrument.KANO:
        _check_scale(parsed, report)
    report.errors.sort(key=lambda issue: issue.line)
    report.skipped.sort(key=lambda issue: issue.line)
    if report.error_count:
        return _done(report, started)
    write(engine, chosen, parsed, report, progress, lines, wave, today)
    return _done(report, started)


def _done(report: ImportReport, started: float) -> ImportReport:
    report.seconds = time.perf_counter() - started
    return report


def _respondent_fields(
    row: list[str],
    line: int,
    layout: layouts.Layout,
    known: dict[str, str | None],
    report: ImportReport,
) -> tuple[str, str | None, str | None] | None:
    """(respondent id, customer id, segment), or None with the row's error reported."""
    cols = layout.columns
    respondent = clean_id(row[cols["respondent_id"]])
    if respondent is None:
        report.error(line, "bad_respondent_id", row[cols["respondent_id"]])
        return None
    customer = None
    if "customer_id" in cols and row[cols["customer_id"]].strip():
        customer = clean_id(row[cols["customer_id"]])
        if customer is None:
            report.error(line, "bad_customer_id", row[cols["customer_id"]])
            return None
        if customer not in known:
            report.error(line, "unknown_customer", customer)
            return None
    segment = row[cols["segment"]].strip()[:200] if "segment" in cols else ""
    if CONTROL_CHARACTERS.search(segment):
        report.error(line, "control_characters", respondent)
        return None
    if not segment and customer is not None:
        segment = known.get(customer) or ""
    return respondent, customer, segment or None


def _declared(
    row: list[str], line: int, layout: layouts.Layout, parsed: ParsedSurvey, report: ImportReport
) -> bool:
    """The file's own scale and competitor name columns: one value for the whole file."""
    cols = layout.columns
    if "scale" in cols and row[cols["scale"]].strip():
        value = parse_number(row[cols["scale"]])
        if value is None or value != int(value) or not 2 <= value <= MAX_SCALE:
            report.error(line, "bad_scale", row[cols["scale"]])
            return False
        if parsed.declared_scale not in (None, int(value)):
            report.error(line, "scale_conflict", row[cols["scale"]])
            return False
        parsed.declared_scale = int(value)
    if "competitor" in cols and row[cols["competitor"]].strip():
        name = row[cols["competitor"]].strip()[:200]
        if parsed.competitor_name not in (None, name):
            report.error(line, "competitor_conflict", name)
            return False
        parsed.competitor_name = name
    return True


def _same_person(old: ParsedRespondent, customer: str | None, segment: str | None) -> bool:
    return old.customer_id == customer and old.segment == segment


def _parse_kano(
    reader: Iterator[tuple[int, list[str]]],
    layout: layouts.Layout,
    known: dict[str, str | None],
    parsed: ParsedSurvey,
    report: ImportReport,
) -> None:
    cols = layout.columns
    width = max(cols.values()) + 1
    items: dict[str, None] = {}
    for line, row in reader:
        if len(row) < width:
            report.error(line, "missing_values")
            continue
        who = _respondent_fields(row, line, layout, known, report)
        if who is None or not _declared(row, line, layout, parsed, report):
            continue
        respondent, customer, segment = who
        feature = row[cols["feature"]].strip()
        if not feature:
            report.error(line, "missing_feature")
            continue
        if len(feature) > 120 or CONTROL_CHARACTERS.search(feature):
            report.error(line, "bad_feature", feature)
            continue
        codes = []
        for key in ("functional", "dysfunctional"):
            raw = row[cols[key]]
            code = kano_code(raw)
            if code is None:
                report.error(
                    line,
                    "missing_answer" if not raw.strip() else "bad_kano_answer",
                    raw.strip() or key,
                )
                break
            codes.append(code)
        if len(codes) < 2:
            continue
        value = float(codes[0] * 10 + codes[1])
        current = parsed.respondents.get(respondent)
        if current is None:
            current = parsed.respondents[respondent] = ParsedRespondent(line, customer, segment)
        elif not _same_person(current, customer, segment):
            report.error(line, "respondent_conflict", respondent)
            continue
        if feature in current.ratings:
            if current.ratings[feature] == value:
                report.skip(line, "duplicate_row", str(current.lines[feature]))
            else:
                report.error(line, "duplicate_answer", f"{respondent} / {feature}")
            continue
        current.ratings[feature] = value
        current.lines[feature] = line
        items.setdefault(feature)
    parsed.items = list(items)


def _wide_items(layout: layouts.Layout) -> list[tuple[str, int]]:
    if layout.instrument is Instrument.DELIVERED:
        order = [*VALUE_COMPONENTS, *COST_COMPONENTS]
        return [(c, layout.ratings[c]) for c in order if c in layout.ratings]
    return [(f"{group}:{driver}", i) for (group, driver), i in layout.drivers.items()]


def _rating(raw: str) -> float | None:
    value = parse_number(raw)
    return value if value is not None and value >= 1 else None


def _whole(value: float) -> bool:
    """Ratings are points on the scale: 3.5 is a typo or another instrument's answer."""
    return value == int(value)


def _rating_problem(raw: str, value: float | None) -> str:
    return "missing_answer" if not raw else "bad_rating" if value is None else "not_whole"


def _parse_wide(
    reader: Iterator[tuple[int, list[str]]],
    layout: layouts.Layout,
    known: dict[str, str | None],
    parsed: ParsedSurvey,
    report: ImportReport,
) -> None:
    cols = layout.columns
    items = _wide_items(layout)
    parsed.items = [name for name, _ in items]
    width = 1 + max(
        [
            *cols.values(),
            *(i for _, i in items),
            *layout.weights.values(),
            *layout.competitor.values(),
        ]
    )
    equity = layout.instrument is Instrument.EQUITY
    for line, row in reader:
        if len(row) < width:
            report.error(line, "missing_values")
            continue
        who = _respondent_fields(row, line, layout, known, report)
        if who is None or not _declared(row, line, layout, parsed, report):
            continue
        respondent, customer, segment = who
        record = ParsedRespondent(line, customer, segment)
        bad = False
        for name, i in items:
            raw = row[i].strip()
            value = _rating(raw) if raw else None
            if value is None or not _whole(value):
                problem = _rating_problem(raw, value)
                report.error(line, problem, f"{name}: {raw}" if raw else name)
                bad = True
                break
            record.ratings[name] = value
        if bad:
            continue
        for component, i in layout.weights.items():
            raw = row[i].strip()
            weight = parse_number(raw) if raw else 1.0
            if weight is None or weight <= 0:
                report.error(line, "bad_weight", f"{component}: {raw}")
                bad = True
                break
            record.weights[component] = weight
        if bad:
            continue
        answered = {c: row[i].strip() for c, i in layout.competitor.items()}
        if any(answered.values()):
            for component, raw in answered.items():
                value = _rating(raw) if raw else None
                if value is None or not _whole(value):
                    name = f"competitor:{component}"
                    shown = f"{name}: {raw}" if raw else name
                    report.error(line, _rating_problem(raw, value), shown)
                    bad = True
                    break
                record.competitor[component] = value
            if bad:
                continue
        if equity:
            raw = row[cols["outcome"]].strip() if "outcome" in cols else ""
            if raw:
                record.outcome = parse_number(raw)
                if record.outcome is None:
                    report.error(line, "bad_outcome", raw)
                    continue
                if not _whole(record.outcome):
                    report.error(line, "not_whole", f"outcome: {raw}")
                    continue
            elif customer is None:  # a customer's outcome can be their CLV instead
                report.error(line, "missing_outcome")
                continue
        previous = parsed.respondents.get(respondent)
        if previous is not None:
            if _same_answers(previous, record):
                report.skip(line, "duplicate_row", str(previous.line))
            else:
                report.error(line, "duplicate_respondent", respondent)
            continue
        parsed.respondents[respondent] = record


def _same_answers(a: ParsedRespondent, b: ParsedRespondent) -> bool:
    return (a.customer_id, a.segment, a.outcome, a.ratings, a.weights, a.competitor) == (
        b.customer_id,
        b.segment,
        b.outcome,
        b.ratings,
        b.weights,
        b.competitor,
    )


def _scale(
    requested: int | None,
    parsed: ParsedSurvey,
    stored: Row[tuple[int]] | None,
    report: ImportReport,
) -> int:
    if report.instrument == Instrument.KANO.value:
        return 0  # Kano answers are codes, not ratings
    stored_scale = stored.scale_high if stored is not None and stored.scale_high else None
    chosen = requested or parsed.declared_scale
    if chosen is not None and stored_scale is not None and chosen != stored_scale:
        report.error(0, "scale_changed", f"1-{stored_scale} → 1-{chosen}")
        return 0
    if chosen is None:
        chosen = stored_scale
    if chosen is None:
        chosen = DEFAULT_SCALE
        report.scale_inferred = True
    return chosen


def _check_scale(parsed: ParsedSurvey, report: ImportReport) -> None:
    """Every rating and outcome within 1..scale; above 5 in a file that declares no scale
    is its own error, which says how to declare one."""
    top = report.scale
    for record in parsed.respondents.values():
        answers = [*record.ratings.items(), *record.competitor.items()]
        if record.outcome is not None:
            answers.append(("outcome", record.outcome))
        for name, value in answers:
            if 1 <= value <= top:
                continue
            if report.scale_inferred and value > top:
                report.error(record.line, "scale_not_declared", f"{name}: {value:g}")
            else:
                report.error(record.line, "out_of_scale", f"{name}: {value:g} (1-{top})")
            break
