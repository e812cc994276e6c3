"""Database reads of imported surveys, as the arrays the survey engine works on."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import cast

import numpy as np
from sqlalchemy import Engine, Table, func, select

from bot.customers.store import SCORE
from bot.storage.models import SurveyInstrumentRow, SurveyResponse
from value_engine.models import Risk
from value_engine.survey.models import Instrument

INSTRUMENT = cast(Table, SurveyInstrumentRow.__table__)  # type: ignore[attr-defined]
RESPONSE = cast(Table, SurveyResponse.__table__)  # type: ignore[attr-defined]
ID_CHUNK = 5_000


@dataclass(frozen=True, slots=True)
class InstrumentInfo:
    instrument: Instrument
    scale_high: int
    items: list[str]
    competitor: str | None
    revision: int
    respondents: int


@dataclass(frozen=True, slots=True)
class Responses:
    """One instrument's answers: rows are respondents, columns the instrument's items."""

    info: InstrumentInfo
    respondent_ids: list[str]
    customer_ids: list[str | None]
    segments: list[str | None]
    outcomes: np.ndarray  # NaN where not given
    ratings: np.ndarray  # NaN where not answered (Kano: functional*10 + dysfunctional)
    weights: np.ndarray | None  # delivered value only
    competitor: np.ndarray | None  # delivered value only, NaN where not answered


class SurveyStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def instruments(self) -> dict[Instrument, InstrumentInfo]:
        with self.engine.connect() as conn:
            counts: dict[str, int] = dict(
                conn.execute(
                    select(RESPONSE.c.instrument, func.count()).group_by(RESPONSE.c.instrument)
                ).all()
            )
            rows = conn.execute(select(INSTRUMENT)).all()
        found = {}
        for row in rows:
            try:
                instrument = Instrument(row.instrument)
            except ValueError:
                continue
            found[instrument] = InstrumentInfo(
                instrument=instrument,
                scale_high=row.scale_high,
                items=json.loads(row.items_json),
                competitor=row.competitor,
                revision=row.revision,
                respondents=int(counts.get(row.instrument, 0)),
            )
        return found

    def responses(self, info: InstrumentInfo, segment: str | None = None) -> Responses:
        query = select(
            RESPONSE.c.respondent_id,
            RESPONSE.c.customer_id,
            RESPONSE.c.segment,
            RESPONSE.c.outcome,
            RESPONSE.c.answers_json,
        ).where(RESPONSE.c.instrument == info.instrument.value)
        if segment is not None:
            query = query.where(RESPONSE.c.segment == segment)
        with self.engine.connect() as conn:
            rows = conn.execute(query.order_by(RESPONSE.c.respondent_id)).all()
        width = len(info.items)
        decoded = [json.loads(row.answers_json) for row in rows]
        delivered = info.instrument is Instrument.DELIVERED
        return Responses(
            info=info,
            respondent_ids=[row.respondent_id for row in rows],
            customer_ids=[row.customer_id for row in rows],
            segments=[row.segment for row in rows],
            outcomes=np.array(
                [np.nan if row.outcome is None else row.outcome for row in rows], dtype=np.float64
            ),
            ratings=_matrix([d["r"] for d in decoded], width),
            weights=_matrix([d["w"] for d in decoded], width, fill=1.0) if delivered else None,
            competitor=_matrix([d["c"] for d in decoded], width) if delivered else None,
        )

    def respondent_of(self, customer_id: str, instrument: Instrument) -> str | None:
        """The latest respondent id under which this customer answered the instrument."""
        with self.engine.connect() as conn:
            return conn.execute(
                select(RESPONSE.c.respondent_id)
                .where(RESPONSE.c.instrument == instrument.value)
                .where(RESPONSE.c.customer_id == customer_id)
                .order_by(RESPONSE.c.imported_at.desc(), RESPONSE.c.respondent_id.desc())
                .limit(1)
            ).scalar()

    def segment_names(self, instrument: Instrument) -> list[str]:
        with self.engine.connect() as conn:
            names = conn.execute(
                select(RESPONSE.c.segment)
                .where(RESPONSE.c.instrument == instrument.value)
                .where(RESPONSE.c.segment.is_not(None))
                .distinct()
            ).scalars()
            return sorted(n for n in names if n)

    def scores(self, customer_ids: list[str]) -> dict[str, tuple[float, float, bool]]:
        """customer id -> (P(alive), CLV, high churn risk) from the latest fit."""
        found: dict[str, tuple[float, float, bool]] = {}
        with self.engine.connect() as conn:
            for start in range(0, len(customer_ids), ID_CHUNK):
                chunk = customer_ids[start : start + ID_CHUNK]
                for row in conn.execute(
                    select(SCORE.c.customer_id, SCORE.c.p_alive, SCORE.c.clv, SCORE.c.risk).where(
                        SCORE.c.customer_id.in_(chunk)
                    )
                ):
                    found[row.customer_id] = (row.p_alive, row.clv, row.risk == Risk.HIGH.value)
        return found


def _matrix(rows: list[list[float | None]], width: int, fill: float = np.nan) -> np.ndarray:
    """Answers padded to the instrument's current items (older imports asked fewer)."""
    padded = [row + [None] * (width - len(row)) if len(row) < width else row for row in rows]
    out = np.array(padded, dtype=np.float64).reshape(len(rows), width)  # None -> NaN
    if not np.isnan(fill):
        out[np.isnan(out)] = fill
    return out
