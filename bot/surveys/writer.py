"""Writing a checked survey into one wave: respondents replaced or added, the revision bumped.

Which wave (issue 25): the one named (`--wave`, an upload's caption); without a name, the
wave whose answers the file repeats exactly (importing a file twice changes nothing),
else one named by the import's date. A delivered-value or equity file whose items differ
from the wave's is refused when the wave was named, and becomes a wave of its own
("2026-05-01 (2)") when it was not: one wave, one set of items, so no answer is left out
of a report for lacking an item another file asked.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, Engine, delete, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite

from bot.customers.csv_import import Progress
from bot.customers.import_report import ImportReport
from bot.surveys.parsed import ParsedRespondent, ParsedSurvey
from bot.surveys.store import INSTRUMENT, RESPONSE, WAVE
from value_engine.survey.models import Instrument

WRITE_CHUNK = 5_000
Answers = dict[str, list[float | None]]  # as stored: see SurveyResponse.answers_json


def _answers(record: ParsedRespondent, items: list[str], instrument: Instrument) -> Answers:
    answers: Answers = {"r": [record.ratings.get(i) for i in items]}
    if instrument is Instrument.DELIVERED:
        answers["w"] = [record.weights.get(i, 1.0) for i in items]
        answers["c"] = [record.competitor.get(i) for i in items]
    return answers


def _merged(old: Answers, new: Answers, length: int) -> Answers:
    """The new answers, with what the respondent answered before kept where the file is blank
    (a Kano survey sent in two files, one per group of features)."""
    merged: Answers = {}
    for key, values in new.items():
        before = old.get(key, [])
        before = before + [None] * (length - len(before))
        merged[key] = [v if v is not None else b for v, b in zip(values, before, strict=True)]
    return merged


class _Refused(Exception):
    """The file cannot go into the wave it names: the transaction is rolled back."""


def _unchanged(old: Any, record: ParsedRespondent, answers: Answers, width: int) -> bool:
    before = json.loads(old.answers_json)
    padded = {k: v + [None] * (width - len(v)) for k, v in before.items()}
    return padded == answers and (old.customer_id, old.segment, old.outcome) == (
        record.customer_id,
        record.segment,
        record.outcome,
    )


def _choose_wave(
    connection: Connection,
    instrument: Instrument,
    parsed: ParsedSurvey,
    items: list[str],
    wave: str | None,
    default: str,
    report: ImportReport,
) -> tuple[str, list[str] | None]:
    """(the wave to write, its stored items or None when it is new)."""
    stored = {
        row.wave: json.loads(row.items_json)
        for row in connection.execute(
            select(WAVE.c.wave, WAVE.c.items_json)
            .where(WAVE.c.instrument == instrument.value)
            .order_by(WAVE.c.created_at.desc(), WAVE.c.wave.desc())
        )
    }
    wide = instrument is not Instrument.KANO

    def fits(name: str) -> bool:
        return not wide or set(stored[name]) == set(parsed.items)

    if wave is not None:
        if wave in stored and not fits(wave):
            report.error(1, "wave_items_differ", wave)
            raise _Refused
        return wave, stored.get(wave)
    if stored:
        ids = list(parsed.respondents)
        for name in stored:  # latest first: a file imported again is that wave again
            if not fits(name):
                continue
            rows = {
                row.respondent_id: row
                for start in range(0, len(ids), WRITE_CHUNK)
                for row in connection.execute(
                    select(
                        RESPONSE.c.respondent_id,
                        RESPONSE.c.customer_id,
                        RESPONSE.c.segment,
                        RESPONSE.c.outcome,
                        RESPONSE.c.answers_json,
                    ).where(
                        RESPONSE.c.instrument == instrument.value,
                        RESPONSE.c.wave == name,
                        RESPONSE.c.respondent_id.in_(ids[start : start + WRITE_CHUNK]),
                    )
                )
            }
            if len(rows) == len(ids) and all(
                _unchanged(rows[r], record, _answers(record, items, instrument), len(items))
                for r, record in parsed.respondents.items()
            ):
                return name, stored[name]
    chosen, n = default, 1
    while chosen in stored and not fits(chosen):
        n += 1
        chosen = f"{default} ({n})"
    if chosen != default:
        report.wave_of_its_own = default
    return chosen, stored.get(chosen)


def write(
    engine: Engine,
    instrument: Instrument,
    parsed: ParsedSurvey,
    report: ImportReport,
    progress: Progress | None,
    lines: int,
    wave: str | None = None,
    today: date | None = None,
) -> None:
    """One transaction: the wave is chosen (module docstring), the respondents whose
    answers in it changed are replaced, and the instrument's row (items, scale,
    competitor) is created or updated with a new revision. `progress(done, total)`
    continues the row count of the checks (`lines` rows)."""
    now = datetime.now(UTC).replace(tzinfo=None)
    default = (today or now.date()).isoformat()
    try:
        _write(engine, instrument, parsed, report, progress, lines, wave, default, now)
    except _Refused:
        return
    report.committed = True


def _write(
    engine: Engine,
    instrument: Instrument,
    parsed: ParsedSurvey,
    report: ImportReport,
    progress: Progress | None,
    lines: int,
    wave: str | None,
    default: str,
    now: datetime,
) -> None:
    with engine.begin() as connection:
        _claim_instrument(connection, instrument, now)
        stored = connection.execute(
            select(INSTRUMENT).where(INSTRUMENT.c.instrument == instrument.value)
        ).one()
        items: list[str] = json.loads(stored.items_json or "[]")
        for item in parsed.items:
            if item not in items:
                items.append(item)
        chosen, wave_items = _choose_wave(
            connection, instrument, parsed, items, wave, default, report
        )
        report.wave = chosen
        if wave_items is None:
            connection.execute(
                WAVE.insert().values(
                    instrument=instrument.value,
                    wave=chosen,
                    items_json=json.dumps(parsed.items, ensure_ascii=False),
                    created_at=now,
                )
            )
        elif any(item not in wave_items for item in parsed.items):  # Kano: more features
            connection.execute(
                update(WAVE)
                .where(WAVE.c.instrument == instrument.value, WAVE.c.wave == chosen)
                .values(
                    items_json=json.dumps(
                        wave_items + [i for i in parsed.items if i not in wave_items],
                        ensure_ascii=False,
                    )
                )
            )
        existing = {
            row.respondent_id: row
            for row in connection.execute(
                select(
                    RESPONSE.c.respondent_id,
                    RESPONSE.c.customer_id,
                    RESPONSE.c.segment,
                    RESPONSE.c.outcome,
                    RESPONSE.c.answers_json,
                ).where(RESPONSE.c.instrument == instrument.value, RESPONSE.c.wave == chosen)
            )
        }
        inserts: list[dict[str, object]] = []
        replaced: list[str] = []
        for respondent, record in parsed.respondents.items():
            answers = _answers(record, items, instrument)
            old = existing.get(respondent)
            if old is not None:
                answers = _merged(json.loads(old.answers_json), answers, len(items))
                if _unchanged(old, record, answers, len(items)):
                    report.skip(record.line, "unchanged", respondent)
                    continue
                replaced.append(respondent)
            inserts.append(
                {
                    "instrument": instrument.value,
                    "wave": chosen,
                    "respondent_id": respondent,
                    "customer_id": record.customer_id,
                    "segment": record.segment,
                    "outcome": record.outcome,
                    "answers_json": json.dumps(answers, separators=(",", ":")),
                    "imported_at": now,
                }
            )
        for start in range(0, len(replaced), WRITE_CHUNK):
            chunk = replaced[start : start + WRITE_CHUNK]
            connection.execute(
                delete(RESPONSE).where(
                    tuple_(RESPONSE.c.instrument, RESPONSE.c.wave, RESPONSE.c.respondent_id).in_(
                        [(instrument.value, chosen, r) for r in chunk]
                    )
                )
            )
        total = lines + len(inserts)
        for start in range(0, len(inserts), WRITE_CHUNK * 10):
            connection.execute(RESPONSE.insert(), inserts[start : start + WRITE_CHUNK * 10])
            if progress is not None:
                progress(lines + min(start + WRITE_CHUNK * 10, len(inserts)), total)
        report.updated = len(replaced)
        report.inserted = len(inserts) - len(replaced)
        values = {
            "scale_high": report.scale or stored.scale_high,
            "items_json": json.dumps(items, ensure_ascii=False),
            "competitor": parsed.competitor_name or stored.competitor,
            "updated_at": now,
        }
        if inserts or stored.revision == 0 or values["items_json"] != stored.items_json:
            connection.execute(
                update(INSTRUMENT)
                .where(INSTRUMENT.c.instrument == instrument.value)
                .values(revision=INSTRUMENT.c.revision + 1, **values)
            )


def _claim_instrument(connection: Connection, instrument: Instrument, now: datetime) -> None:
    """The instrument's row exists from here on (revision 0 until the write bumps it), even
    when two imports of a new instrument run at the same time."""
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    connection.execute(
        dialect.insert(INSTRUMENT)
        .values(
            instrument=instrument.value,
            scale_high=0,
            items_json="[]",
            competitor=None,
            revision=0,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=["instrument"])
    )
