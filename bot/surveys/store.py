"""Database reads of imported surveys, as the arrays the survey engine works on."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import cast

import numpy as np
from sqlalchemy import Engine, Table, func, select

from bot.customers.store import SCORE
from bot.storage.models import SurveyInstrumentRow, SurveyResponse, SurveyWave
from value_engine.models import Risk
from value_engine.survey.models import Instrument

INSTRUMENT = cast(Table, SurveyInstrumentRow.__table__)  # type: ignore[attr-defined]
RESPONSE = cast(Table, SurveyResponse.__table__)  # type: ignore[attr-defined]
WAVE = cast(Table, SurveyWave.__table__)  # type: ignore[attr-defined]
ID_CHUNK = 5_000


@dataclass(frozen=True, slots=True)
class WaveInfo:
    """One round of a survey: its name, the items it asked, how many answered it."""

    name: str
    items: list[str]
    respondents: int


@dataclass(frozen=True, slots=True)
class InstrumentInfo:
    instrument: Instrument
    scale_high: int
    items: list[str]  # every item any wave asked, in the order first asked
    competitor: str | None
    revision: int
    respondents: int  # answers in all waves
    waves: tuple[WaveInfo, ...] = ()  # oldest first

    def wave(self, name: str | None) -> WaveInfo | None:
        """The named wave, or the latest when `name` is None."""
        if name is None:
            return self.waves[-1] if self.waves else None
        return next((w for w in self.waves if w.name == name), None)


@dataclass(frozen=True, slots=True)
class Responses:
    """One instrument's answers: rows are respondents, columns the instrument's items."""

    info: InstrumentInfo
    wave: str
    items: list[str]  # the wave's items: the columns of the arrays below
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
            counts: dict[tuple[str, str], int] = {
                (i, w): n
                for i, w, n in conn.execute(
                    select(RESPONSE.c.instrument, RESPONSE.c.wave, func.count()).group_by(
                        RESPONSE.c.instrument, RESPONSE.c.wave
                    )
                ).all()
            }
            rows = conn.execute(select(INSTRUMENT)).all()
            wave_rows = conn.execute(select(WAVE).order_by(WAVE.c.created_at, WAVE.c.wave)).all()
        waves: dict[str, list[WaveInfo]] = {}
        for w in wave_rows:
            waves.setdefault(w.instrument, []).append(
                WaveInfo(w.wave, json.loads(w.items_json), counts.get((w.instrument, w.wave), 0))
            )
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
                respondents=sum(w.respondents for w in waves.get(row.instrument, [])),
                waves=tuple(waves.get(row.instrument, [])),
            )
        return found

    def responses(
        self, info: InstrumentInfo, wave: WaveInfo, segment: str | None = None
    ) -> Responses:
        """One wave's answers, as columns of the wave's own items."""
        query = select(
            RESPONSE.c.respondent_id,
            RESPONSE.c.customer_id,
            RESPONSE.c.segment,
            RESPONSE.c.outcome,
            RESPONSE.c.answers_json,
        ).where(RESPONSE.c.instrument == info.instrument.value, RESPONSE.c.wave == wave.name)
        if segment is not None:
            query = query.where(RESPONSE.c.segment == segment)
        with self.engine.connect() as conn:
            rows = conn.execute(query.order_by(RESPONSE.c.respondent_id)).all()
        width = len(info.items)
        columns = [info.items.index(item) for item in wave.items]
        decoded = [json.loads(row.answers_json) for row in rows]
        delivered = info.instrument is Instrument.DELIVERED
        return Responses(
            info=info,
            wave=wave.name,
            items=list(wave.items),
            respondent_ids=[row.respondent_id for row in rows],
            customer_ids=[row.customer_id for row in rows],
            segments=[row.segment for row in rows],
            outcomes=np.array(
                [np.nan if row.outcome is None else row.outcome for row in rows], dtype=np.float64
            ),
            ratings=_matrix([d["r"] for d in decoded], width)[:, columns],
            weights=_matrix([d["w"] for d in decoded], width, fill=1.0)[:, columns]
            if delivered
            else None,
            competitor=_matrix([d["c"] for d in decoded], width)[:, columns] if delivered else None,
        )

    def respondent_of(self, customer_id: str, instrument: Instrument) -> tuple[str, str] | None:
        """(respondent id, wave) of this customer's answer in the latest wave they answered."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(RESPONSE.c.respondent_id, RESPONSE.c.wave)
                .join(
                    WAVE,
                    (WAVE.c.instrument == RESPONSE.c.instrument) & (WAVE.c.wave == RESPONSE.c.wave),
                )
                .where(RESPONSE.c.instrument == instrument.value)
                .where(RESPONSE.c.customer_id == customer_id)
                .order_by(
                    WAVE.c.created_at.desc(),
                    RESPONSE.c.imported_at.desc(),
                    RESPONSE.c.respondent_id.desc(),
                )
                .limit(1)
            ).first()
        return None if row is None else (row.respondent_id, row.wave)

    def segment_names(self, instrument: Instrument, wave: str) -> list[str]:
        with self.engine.connect() as conn:
            names = conn.execute(
                select(RESPONSE.c.segment)
                .where(RESPONSE.c.instrument == instrument.value, RESPONSE.c.wave == wave)
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
