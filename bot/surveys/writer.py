"""Writing a checked survey: respondents replaced or added, the instrument's revision bumped."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, delete, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite

from bot.customers.csv_import import Progress
from bot.customers.import_report import ImportReport
from bot.surveys.parsed import ParsedRespondent, ParsedSurvey
from bot.surveys.store import INSTRUMENT, RESPONSE
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


def write(
    engine: Engine,
    instrument: Instrument,
    parsed: ParsedSurvey,
    report: ImportReport,
    progress: Progress | None,
    lines: int,
) -> None:
    """One transaction: the respondents whose answers changed are replaced, and the
    instrument's row (items, scale, competitor) is created or updated with a new revision.
    `progress(done, total)` continues the row count of the checks (`lines` rows)."""
    now = datetime.now(UTC).replace(tzinfo=None)
    with engine.begin() as connection:
        _claim_instrument(connection, instrument, now)
        stored = connection.execute(
            select(INSTRUMENT).where(INSTRUMENT.c.instrument == instrument.value)
        ).one()
        items: list[str] = json.loads(stored.items_json or "[]")
        for item in parsed.items:
            if item not in items:
                items.append(item)
        existing = {
            row.respondent_id: row
            for row in connection.execute(
                select(
                    RESPONSE.c.respondent_id,
                    RESPONSE.c.customer_id,
                    RESPONSE.c.segment,
                    RESPONSE.c.outcome,
                    RESPONSE.c.answers_json,
                ).where(RESPONSE.c.instrument == instrument.value)
            )
        }
        inserts: list[dict[str, object]] = []
        replaced: list[str] = []
        for respondent, record in parsed.respondents.items():
            answers = _answers(record, items, instrument)
            old = existing.get(respondent)
            if old is not None:
                answers = _merged(json.loads(old.answers_json), answers, len(items))
                before = json.loads(old.answers_json)
                padded = {k: v + [None] * (len(items) - len(v)) for k, v in before.items()}
                if padded == answers and (old.customer_id, old.segment, old.outcome) == (
                    record.customer_id,
                    record.segment,
                    record.outcome,
                ):
                    report.skip(record.line, "unchanged", respondent)
                    continue
                replaced.append(respondent)
            inserts.append(
                {
                    "instrument": instrument.value,
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
                    tuple_(RESPONSE.c.instrument, RESPONSE.c.respondent_id).in_(
                        [(instrument.value, r) for r in chunk]
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
    report.committed = True


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
