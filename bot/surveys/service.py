"""Survey service: imports, the three analyses, their link to the purchase models, advice.

Results are cached by the instrument's revision (bumped by every import that changes an
answer) and, where the purchase models are involved, by the customer data revision, like
the value fits: a manager paging through /survey costs one analysis per change of data.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from bot.customers.csv_import import Progress
from bot.customers.import_report import ImportReport
from bot.customers.service import NoDataError, ValueService
from bot.surveys.csv_import import import_survey
from bot.surveys.store import InstrumentInfo, Responses, SurveyStore
from value_engine.models import ModelError, Recommendation
from value_engine.recommendations import PassageLookup
from value_engine.survey import advice, delivered, drivers, kano, retention
from value_engine.survey.models import (
    DeliveredReport,
    EquityReport,
    Instrument,
    KanoReport,
    RespondentValue,
    RetentionLink,
    Scale,
    SurveyError,
)

log = logging.getLogger(__name__)
CACHE_SIZE = 32
OUTCOMES = ("intention", "clv")


class NoSurveyError(LookupError):
    """The instrument has not been imported yet."""

    def __init__(self, instrument: Instrument) -> None:
        super().__init__(instrument.value)
        self.instrument = instrument


@dataclass(frozen=True, slots=True)
class SurveyResult:
    """One instrument's analysis with the advice it leads to."""

    instrument: Instrument
    segment: str | None
    kano: KanoReport | None = None
    equity: EquityReport | None = None
    delivered: DeliveredReport | None = None
    advice: tuple[Recommendation, ...] = ()
    segments: tuple[str, ...] = ()  # segments this instrument can be compared by


class SurveyService:
    def __init__(
        self, store: SurveyStore, lookup: PassageLookup, value: ValueService | None = None
    ) -> None:
        self.store = store
        self._lookup = lookup
        self._value = value
        self._lock = threading.Lock()
        self._cache: OrderedDict[tuple[Any, ...], SurveyResult] = OrderedDict()

    # --- imports ------------------------------------------------------------------------
    def import_file(
        self,
        data: bytes,
        instrument: Instrument | None = None,
        scale: int | None = None,
        competitor: str | None = None,
        max_rows: int | None = None,
        encoding: str | None = None,
        progress: Progress | None = None,
    ) -> ImportReport:
        return import_survey(
            self.store.engine, data, instrument, scale, competitor, max_rows, encoding, progress
        )

    # --- analyses -----------------------------------------------------------------------
    def available(self) -> dict[Instrument, InstrumentInfo]:
        return {k: v for k, v in self.store.instruments().items() if v.respondents}

    def result(
        self, instrument: Instrument, segment: str | None = None, outcome: str = "intention"
    ) -> SurveyResult:
        """Raises NoSurveyError when nothing was imported, SurveyError when the answers
        cannot be analysed as asked (e.g. too few respondents in a segment)."""
        info = self.available().get(instrument)
        if info is None:
            raise NoSurveyError(instrument)
        linked = instrument is Instrument.DELIVERED or outcome == "clv"
        value_revision = self._value.store.revision() if linked and self._value else None
        key = (instrument, info.revision, segment, outcome, value_revision)
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None:
                self._cache.move_to_end(key)
                return cached
        found = self._compute(info, segment, outcome)
        with self._lock:
            self._cache[key] = found
            while len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
        return found

    def _compute(self, info: InstrumentInfo, segment: str | None, outcome: str) -> SurveyResult:
        responses = self.store.responses(info, segment)
        if not responses.respondent_ids:
            raise SurveyError("unknown_segment", segment=segment or "")
        segments = tuple(self.store.segment_names(info.instrument))
        if info.instrument is Instrument.KANO:
            report = _kano(responses)
            found = advice.kano_advice(report, self._lookup)
            return SurveyResult(
                info.instrument, segment, kano=report, advice=tuple(found), segments=segments
            )
        if info.instrument is Instrument.EQUITY:
            equity = self._equity(responses, outcome)
            found = advice.equity_advice(equity, self._lookup)
            return SurveyResult(
                info.instrument, segment, equity=equity, advice=tuple(found), segments=segments
            )
        analysed = delivered.analyse(_delivered_data(responses), Scale(info.scale_high), segment)
        analysed = replace(analysed, link=self._link(analysed))
        found = advice.delivered_advice(analysed, self._lookup)
        return SurveyResult(
            info.instrument, segment, delivered=analysed, advice=tuple(found), segments=segments
        )

    def _scores(self, customer_ids: list[str]) -> dict[str, tuple[float, float, bool]]:
        """The purchase models' view of these customers; empty when there is no fit."""
        if self._value is None or not customer_ids:
            return {}
        try:
            self._value.ensure_fit()
        except (NoDataError, ModelError) as exc:
            log.info("survey link without purchase models: %s", exc)
            return {}
        return self.store.scores(customer_ids)

    def _link(self, report: DeliveredReport) -> RetentionLink | None:
        known = [r for r in report.respondents if r.customer_id]
        scores = self._scores([r.customer_id for r in known if r.customer_id])
        linked = [(r, scores[r.customer_id]) for r in known if r.customer_id in scores]
        if not linked:
            return None
        return retention.link(
            np.array([r.delivered for r, _ in linked]),
            np.array([s[0] for _, s in linked]),
            np.array([s[1] for _, s in linked]),
            np.array([s[2] for _, s in linked]),
        )

    def _equity(self, responses: Responses, outcome: str) -> EquityReport:
        if outcome not in OUTCOMES:
            raise SurveyError("unknown_outcome", outcome=outcome)
        x = responses.ratings
        if outcome == "clv":
            ids = [c for c in responses.customer_ids if c]
            scores = self._scores(ids)
            y = np.array(
                [
                    np.log1p(max(scores[c][1], 0.0)) if c in scores else np.nan
                    for c in responses.customer_ids
                ]
            )
        else:
            y = responses.outcomes
        rows = ~np.isnan(x).any(axis=1) & ~np.isnan(y)
        names = [tuple(item.split(":", 1)) for item in responses.info.items]
        return drivers.analyse(
            [(g, d) for g, d in names],
            x[rows],
            y[rows],
            Scale(responses.info.scale_high),
            outcome_name=outcome,
            labels=[rid for rid, keep in zip(responses.respondent_ids, rows, strict=True) if keep],
        )

    def compare(self, instrument: Instrument) -> list[tuple[str, SurveyResult | SurveyError]]:
        """Each segment's result, or why it cannot be analysed (too few respondents)."""
        info = self.available().get(instrument)
        if info is None:
            raise NoSurveyError(instrument)
        found: list[tuple[str, SurveyResult | SurveyError]] = []
        for segment in self.store.segment_names(instrument):
            try:
                found.append((segment, self.result(instrument, segment)))
            except SurveyError as problem:
                found.append((segment, problem))
        return found

    def advice_for(
        self, instrument: Instrument, segment: str | None = None
    ) -> tuple[Recommendation, ...]:
        return self.result(instrument, segment).advice

    def customer_value(self, customer_id: str) -> tuple[RespondentValue, int] | None:
        """This customer's own delivered value and the survey's scale top, if they answered
        the delivered-value survey."""
        respondent = self.store.respondent_of(customer_id, Instrument.DELIVERED)
        if respondent is None:
            return None
        report = self.result(Instrument.DELIVERED).delivered
        assert report is not None
        found = next((r for r in report.respondents if r.respondent_id == respondent), None)
        return None if found is None else (found, report.scale.high)

    # --- async faces for handlers ---------------------------------------------------------
    async def aavailable(self) -> dict[Instrument, InstrumentInfo]:
        return await asyncio.to_thread(self.available)

    async def aresult(
        self, instrument: Instrument, segment: str | None = None, outcome: str = "intention"
    ) -> SurveyResult:
        return await asyncio.to_thread(self.result, instrument, segment, outcome)

    async def acompare(
        self, instrument: Instrument
    ) -> list[tuple[str, SurveyResult | SurveyError]]:
        return await asyncio.to_thread(self.compare, instrument)

    async def acustomer_value(self, customer_id: str) -> tuple[RespondentValue, int] | None:
        return await asyncio.to_thread(self.customer_value, customer_id)

    async def aimport(self, data: bytes, max_rows: int | None) -> ImportReport:
        return await asyncio.to_thread(self.import_file, data, None, None, None, max_rows)


def _kano(responses: Responses) -> KanoReport:
    codes = responses.ratings
    answered = ~np.isnan(codes)
    rows, columns = np.nonzero(answered)
    values = codes[rows, columns].astype(np.int64)
    return kano.analyse(
        responses.info.items,
        columns,
        values // 10,
        values % 10,
        respondents=int(answered.any(axis=1).sum()),
    )


def _delivered_data(responses: Responses) -> delivered.DeliveredData:
    complete = ~np.isnan(responses.ratings).any(axis=1)
    keep = np.flatnonzero(complete)
    assert responses.weights is not None and responses.competitor is not None
    competitor = responses.competitor[keep]
    has_competitor = bool((~np.isnan(competitor).any(axis=1)).any())
    return delivered.DeliveredData(
        respondent_ids=[responses.respondent_ids[i] for i in keep],
        customer_ids=[responses.customer_ids[i] for i in keep],
        segments=[responses.segments[i] for i in keep],
        components=list(responses.info.items),
        ratings=responses.ratings[keep],
        weights=responses.weights[keep],
        competitor_ratings=competitor if has_competitor else None,
        competitor=responses.info.competitor,
    )
