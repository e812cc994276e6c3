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
from typing import TYPE_CHECKING, Any

import numpy as np

from bot.customers.csv_import import Progress
from bot.customers.import_report import ImportReport
from bot.customers.service import NoDataError, ValueService
from bot.surveys.csv_import import import_survey
from bot.surveys.store import InstrumentInfo, Responses, SurveyStore, WaveInfo
from value_engine.models import ModelError, Recommendation
from value_engine.recommendations import PassageLookup
from value_engine.survey import advice, delivered, drivers, kano, retention, waves
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
from value_engine.survey.waves import WaveRow

if TYPE_CHECKING:  # segments imports SciPy: not at `cvm import`'s start
    from value_engine.survey.segments import FeatureComparison

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
    wave: str | None = None  # the wave analysed (the latest unless one was asked for)
    waves: tuple[WaveRow, ...] = ()  # every wave, oldest first, with the trend between them
    # Kano has no mean to follow between waves, and a changed letter may be chance: per
    # feature, the answers of the wave before (`kano_since`) tested against this wave's
    kano_changes: tuple[FeatureComparison, ...] = ()
    kano_since: str | None = None


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
        wave: str | None = None,
    ) -> ImportReport:
        return import_survey(
            self.store.engine,
            data,
            instrument,
            scale,
            competitor,
            max_rows,
            encoding,
            progress,
            wave,
        )

    # --- analyses -----------------------------------------------------------------------
    def available(self) -> dict[Instrument, InstrumentInfo]:
        return {k: v for k, v in self.store.instruments().items() if v.respondents}

    def result(
        self,
        instrument: Instrument,
        segment: str | None = None,
        outcome: str = "intention",
        wave: str | None = None,
    ) -> SurveyResult:
        """One wave's analysis (`wave` None: the latest), with the trend over all waves.
        Raises NoSurveyError when nothing was imported, SurveyError when the answers
        cannot be analysed as asked (e.g. too few respondents in a segment, no such wave)."""
        info = self.available().get(instrument)
        if info is None:
            raise NoSurveyError(instrument)
        chosen = info.wave(wave)
        if chosen is None or not chosen.respondents:
            raise SurveyError("unknown_wave", wave=wave or "", waves=_wave_names(info))
        linked = instrument is Instrument.DELIVERED or outcome == "clv"
        value_revision = self._value.store.revision() if linked and self._value else None
        key = (instrument, info.revision, segment, outcome, value_revision, chosen.name)
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None:
                self._cache.move_to_end(key)
                return cached
        computed = self._compute(info, chosen, segment, outcome)
        since, changes = self._kano_changes(info, chosen, segment, computed.kano)
        found = replace(
            computed,
            wave=chosen.name,
            waves=tuple(self._trend(info, segment)),
            kano_changes=tuple(changes),
            kano_since=since,
        )
        with self._lock:
            self._cache[key] = found
            while len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
        return found

    def _trend(self, info: InstrumentInfo, segment: str | None) -> list[WaveRow]:
        """Each wave's headline mean (waves.py) for the same segment; one row per wave."""
        found: list[tuple[str, np.ndarray | None, int]] = []
        for w in info.waves:
            if len(info.waves) == 1 or info.instrument is Instrument.KANO:
                found.append((w.name, None, w.respondents))
                continue
            responses = self.store.responses(info, w, segment)
            values: np.ndarray | None = None
            if info.instrument is Instrument.EQUITY:
                values = responses.outcomes
            elif responses.respondent_ids:
                try:
                    data = _delivered_data(responses)
                    values = np.array(
                        [
                            r.delivered
                            for r in delivered.per_respondent(data, Scale(info.scale_high))
                        ]
                    )
                except SurveyError:
                    values = None
            found.append((w.name, values, len(responses.respondent_ids)))
        return waves.trend(found)

    def _kano_changes(
        self,
        info: InstrumentInfo,
        wave: WaveInfo,
        segment: str | None,
        report: KanoReport | None,
    ) -> tuple[str | None, list[FeatureComparison]]:
        """The wave before `wave` and, per feature, whether its answers moved since: the
        segment comparison's chi-square test (Holm over the features) with the two waves
        as the groups. Nothing for the first wave, or when the wave before has no
        answers in this segment."""
        if report is None:
            return None, []
        answered = [w for w in info.waves if w.respondents]
        position = next((i for i, w in enumerate(answered) if w.name == wave.name), 0)
        if position == 0:
            return None, []
        before = answered[position - 1]
        try:
            previous = self._compute(info, before, segment, "intention").kano
        except SurveyError:
            return None, []
        if previous is None:
            return None, []
        from value_engine.survey.segments import compare_kano

        return before.name, compare_kano({before.name: previous, wave.name: report})

    def _compute(
        self, info: InstrumentInfo, wave: WaveInfo, segment: str | None, outcome: str
    ) -> SurveyResult:
        responses = self.store.responses(info, wave, segment)
        if not responses.respondent_ids:
            raise SurveyError("unknown_segment", segment=segment or "")
        segments = tuple(self.store.segment_names(info.instrument, wave.name))
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
        names = [tuple(item.split(":", 1)) for item in responses.items]
        return drivers.analyse(
            [(g, d) for g, d in names],
            x[rows],
            y[rows],
            Scale(responses.info.scale_high),
            outcome_name=outcome,
            labels=[rid for rid, keep in zip(responses.respondent_ids, rows, strict=True) if keep],
        )

    def compare(
        self, instrument: Instrument, wave: str | None = None
    ) -> list[tuple[str, SurveyResult | SurveyError]]:
        """Each segment's result in one wave (the latest by default), or why it cannot be
        analysed (too few respondents)."""
        info = self.available().get(instrument)
        if info is None:
            raise NoSurveyError(instrument)
        chosen = info.wave(wave)
        if chosen is None:
            raise SurveyError("unknown_wave", wave=wave or "", waves=_wave_names(info))
        found: list[tuple[str, SurveyResult | SurveyError]] = []
        for segment in self.store.segment_names(instrument, chosen.name):
            try:
                found.append((segment, self.result(instrument, segment, wave=chosen.name)))
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
        found_in = self.store.respondent_of(customer_id, Instrument.DELIVERED)
        if found_in is None:
            return None
        respondent, wave = found_in
        report = self.result(Instrument.DELIVERED, wave=wave).delivered
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

    async def aimport(
        self, data: bytes, max_rows: int | None, wave: str | None = None
    ) -> ImportReport:
        return await asyncio.to_thread(
            self.import_file, data, None, None, None, max_rows, None, None, wave
        )


def _kano(responses: Responses) -> KanoReport:
    codes = responses.ratings
    answered = ~np.isnan(codes)
    rows, columns = np.nonzero(answered)
    values = codes[rows, columns].astype(np.int64)
    return kano.analyse(
        responses.items,
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
        components=list(responses.items),
        ratings=responses.ratings[keep],
        weights=responses.weights[keep],
        competitor_ratings=competitor if has_competitor else None,
        competitor=responses.info.competitor,
    )


def _wave_names(info: InstrumentInfo) -> str:
    """The waves there are, oldest first, for the "no such wave" error."""
    return ", ".join(w.name for w in info.waves) or "–"
