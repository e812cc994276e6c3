"""Customer value service: keeps the cached fit current and builds breakdowns.

The fit and the scored table live in the database, keyed by the data revision
that imports bump, so a breakdown is a few primary-key reads; a refit happens
only when the data changed (or on `cvm value fit`). Blocking work runs in a
thread and refits are serialized by a lock.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import threading
import time
from dataclasses import asdict, dataclass, fields, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from bot.customers.csv_import import Progress, import_file
from bot.customers.import_report import ImportKind, ImportReport
from bot.customers.store import CustomerStore, fit_params
from bot.storage.models import ValueFit
from value_engine.holdout import HoldoutCheck, backtest, holdout_check
from value_engine.measures import rfm_segments
from value_engine.models import (
    CustomerBreakdown,
    CustomerScore,
    FittedModels,
    ModelError,
    RfmSegment,
    SegmentStats,
)
from value_engine.periods import EPOCH
from value_engine.recommendations import PassageLookup, drivers, recommend
from value_engine.scoring import (
    ScoreTable,
    ScoringPolicy,
    fit_models,
    score_customers,
    with_check,
)
from value_engine.segment_stats import SegmentTally
from value_engine.sources.served import ServedScores
from value_engine.summary import summarize

log = logging.getLogger(__name__)
UNIT_DAYS = 7.0  # models are fitted in weeks: well-scaled parameters, like the published ones
FIT_STEPS = 5


def _silent(done: int, total: int) -> None:
    pass


class NoDataError(RuntimeError):
    """There are no purchases to fit a model on yet."""


@dataclass(frozen=True, slots=True)
class FitInfo:
    fit_id: int
    revision: int
    models: FittedModels
    policy: ScoringPolicy
    customers: int
    transactions: int
    seconds: float
    segments: list[SegmentStats]
    refitted: bool
    margin_assumed: bool  # some profit was taken as revenue × the default margin
    holdout: HoldoutCheck | None = None
    # Where the scores were computed: None for the bot's own data, else the warehouse
    # source they were published from (`cvm value publish`), e.g. "duckdb:/lake/tx".
    source: str | None = None

    def as_json_dict(self) -> dict[str, Any]:
        data = self.models.as_json_dict()
        data.update(
            {
                "customers": self.customers,
                "transactions": self.transactions,
                "seconds": round(self.seconds, 3),
                "horizon_months": self.policy.horizon_months,
                "monthly_discount_rate": self.policy.monthly_discount_rate,
                "refitted": self.refitted,
                "holdout": None if self.holdout is None else self.holdout.as_json_dict(),
                "source": self.source,
            }
        )
        return data


class ValueService:
    def __init__(
        self, store: CustomerStore, lookup: PassageLookup, policy: ScoringPolicy | None = None
    ) -> None:
        self.store = store
        self._lookup = lookup
        self._policy = policy or ScoringPolicy()
        self._lock = threading.Lock()
        self._cached: FitInfo | None = None

    @property
    def policy(self) -> ScoringPolicy:
        return self._policy

    # --- fitting --------------------------------------------------------------------------
    def ensure_fit(
        self, force: bool = False, as_of: date | None = None, progress: Progress | None = None
    ) -> FitInfo:
        """`progress(step, 5)` hears about a refit's steps (load, backtest, fit, score, save)."""
        revision = self.store.revision()
        cached = self._cached
        if not force and as_of is None and cached is not None and cached.revision == revision:
            return cached
        with self._lock:
            revision = self.store.revision()
            if not force and as_of is None:
                stored = self.store.latest_fit()
                # A fit stored by a version that did not judge its quality is refitted once.
                # Published scores stand until the next publish or an explicit `cvm value
                # fit`: the bot's own imports do not replace the warehouse's view.
                if (
                    stored is not None
                    and (stored.revision == revision or _published(stored))
                    and "quality" in fit_params(stored)["models"]  # type: ignore[operator]
                ):
                    self._cached = replace(self._info(stored, refitted=False), revision=revision)
                    return self._cached
            self._cached = self._refit(revision, as_of, progress or _silent)
            return self._cached

    def _refit(self, revision: int, as_of: date | None, progress: Progress) -> FitInfo:
        started = time.perf_counter()
        data = self.store.load()
        progress(1, FIT_STEPS)
        if not data.transactions:
            raise NoDataError("no transactions")
        as_of_day = data.as_of_day if as_of is None else (as_of - EPOCH).days
        summary = summarize(data.log, len(data.customer_ids), as_of_day, UNIT_DAYS)
        if not summary.has_purchase.any():
            raise NoDataError("no purchases")
        as_of_date = EPOCH + timedelta(days=as_of_day)
        n = len(data.customer_ids)
        if as_of is None:
            # The fit's own holdout test: the same method on all but the last quarter.
            holdout = backtest(data.log, n, as_of_day, UNIT_DAYS)
            progress(2, FIT_STEPS)
            models = fit_models(summary, UNIT_DAYS, as_of_date, holdout)
        else:
            # A calibration run: the data after the cut-off are this fit's holdout.
            models = fit_models(summary, UNIT_DAYS, as_of_date)
            holdout = holdout_check(
                models.bgnbd, summary, data.log, as_of_day, data.as_of_day, UNIT_DAYS
            )
            models = replace(models, quality=with_check(models.bgnbd, models.gamma_gamma, holdout))
        progress(3, FIT_STEPS)
        table = score_customers(data.customer_ids, summary, models, data.referred_by, self._policy)
        progress(4, FIT_STEPS)
        rows = [_row_dict(table.row(i, as_of_day)) for i in range(len(data.customer_ids))]
        segments = segment_stats(table)
        fingerprint = hashlib.sha256(
            np.ascontiguousarray(data.log.amount).tobytes()
            + np.ascontiguousarray(data.log.day).tobytes()
            + "\n".join(data.customer_ids).encode()
        ).hexdigest()[:32]
        params = {
            "models": models.as_json_dict(),
            "policy": asdict(self._policy),
            "segments": [_segment_json(s) for s in segments],
            "margin_assumed": summary.profit_assumed,
        }
        fit = ValueFit(
            # A calibration fit (cut off before the data ends) never serves breakdowns:
            # revision -1 matches no data revision, so the next breakdown refits on all data.
            revision=revision if as_of is None else -1,
            fingerprint=fingerprint,
            params_json=json.dumps(params),
            customers=len(data.customer_ids),
            transactions=data.transactions,
            seconds=time.perf_counter() - started,
        )
        saved = self.store.save_fit(fit, rows)
        progress(FIT_STEPS, FIT_STEPS)
        log.info(
            "value models fitted on %d customers, %d transactions in %.1f s",
            saved.customers,
            saved.transactions,
            saved.seconds,
        )
        return replace(self._info(saved, refitted=True), holdout=holdout)

    def _info(self, fit: ValueFit, refitted: bool) -> FitInfo:
        params = fit_params(fit)
        assert fit.id is not None
        return FitInfo(
            fit_id=fit.id,
            revision=fit.revision,
            models=FittedModels.from_json_dict(params["models"]),  # type: ignore[arg-type]
            policy=ScoringPolicy(**params["policy"]),  # type: ignore[arg-type]
            customers=fit.customers,
            transactions=fit.transactions,
            seconds=fit.seconds,
            segments=[_segment_from_json(s) for s in params["segments"]],  # type: ignore[attr-defined]
            refitted=refitted,
            margin_assumed=bool(params.get("margin_assumed")),
            source=params.get("source"),  # type: ignore[arg-type]
        )

    def publish(
        self,
        served: ServedScores,
        models: FittedModels,
        periods: list[tuple[str, int, float, float]],
        source: str,
        transactions: int,
        margin_assumed: bool,
        seconds: float,
        holdout: HoldoutCheck | None = None,
    ) -> FitInfo:
        """Serve scores computed where the data lives (`cvm value publish`): the served
        customers' rows and quarters replace the bot's table; the segments are everyone's."""
        rows = [_row_dict(score) for score in served.rows]
        params = {
            "models": models.as_json_dict(),
            "policy": asdict(self._policy),
            "segments": [_segment_json(s) for s in served.segments],
            "margin_assumed": margin_assumed,
            "source": source,
        }
        fit = ValueFit(
            revision=0,  # set by the store to the revision its own write makes
            fingerprint=hashlib.sha256(source.encode()).hexdigest()[:32],
            params_json=json.dumps(params),
            customers=served.customers,
            transactions=transactions,
            seconds=seconds,
        )
        quarters = [
            {"customer_id": c, "quarter": q, "revenue": r, "profit": p} for c, q, r, p in periods
        ]
        with self._lock:
            saved = self.store.publish(fit, rows, quarters)
            self._cached = replace(self._info(saved, refitted=True), holdout=holdout)
        log.info(
            "published %d served customers' scores from %s (%d customers scored)",
            len(rows), source, served.customers,
        )  # fmt: skip
        return self._cached

    # --- reading --------------------------------------------------------------------------
    def breakdown(self, customer_id: str) -> CustomerBreakdown | None:
        info = self.ensure_fit()
        resolved = self.store.find_customer_id(customer_id)
        if resolved is None:
            return None
        customer = self.store.customer(resolved)
        score = self.store.score(resolved)
        if customer is None or score is None:
            return None
        as_of_day = (info.models.as_of - EPOCH).days
        segment = next((s for s in info.segments if s.segment is score.segment), None)
        return CustomerBreakdown(
            customer_id=resolved,
            name=customer.name,
            attributes={
                key: value
                for key, value in (
                    ("segment", customer.segment),
                    ("region", customer.region),
                    ("channel", customer.channel),
                    ("referred_by", customer.referred_by or ""),
                )
                if value
            },
            score=score,
            history=(
                self.store.history(resolved, as_of_day)
                if info.source is None
                else self.store.published_history(resolved, as_of_day)
            ),
            drivers=drivers(score),
            recommendations=recommend(score, self._lookup),
            segment_stats=segment,
            horizon_months=info.policy.horizon_months,
            as_of=info.models.as_of,
            margin_assumed=info.margin_assumed,
            recent_transactions=self.store.recent_transactions(resolved),
            models=info.models,
            source=info.source,
        )

    def top(self, limit: int) -> list[tuple[Any, str, float]]:
        """(score, name, cumulative share of profit) for the `limit` most profitable customers."""
        self.ensure_fit()
        total = self.store.total_positive_profit()
        cumulative = 0.0
        result = []
        for score, name in self.store.top(limit):
            cumulative += max(score.realized_value, 0.0)
            result.append((score, name, cumulative / total if total else 0.0))
        return result

    def stored_models(self) -> FittedModels | None:
        """The latest fit's models without refitting (for /status: cheap and read-only)."""
        cached = self._cached
        if cached is not None:
            return cached.models
        stored = self.store.latest_fit()
        if stored is None:
            return None
        return FittedModels.from_json_dict(fit_params(stored)["models"])  # type: ignore[arg-type]

    def segments(self) -> list[SegmentStats]:
        return self.ensure_fit().segments

    # --- imports --------------------------------------------------------------------------
    def import_file(
        self,
        kind: ImportKind,
        data: bytes | Path,
        max_rows: int | None = None,
        encoding: str | None = None,
        progress: Progress | None = None,
    ) -> ImportReport:
        """See `csv_import.import_file`."""
        return import_file(self.store.engine, kind, data, max_rows, encoding, progress)

    # --- async faces for handlers -----------------------------------------------------------
    async def abreakdown(self, customer_id: str) -> CustomerBreakdown | None:
        return await asyncio.to_thread(self.breakdown, customer_id)

    async def atop(self, limit: int) -> list[tuple[Any, str, float]]:
        return await asyncio.to_thread(self.top, limit)

    async def asegments(self) -> list[SegmentStats]:
        return await asyncio.to_thread(self.segments)

    async def aimport(self, kind: ImportKind, data: bytes, max_rows: int | None) -> ImportReport:
        report = await asyncio.to_thread(self.import_file, kind, data, max_rows)
        if report.committed and (report.inserted or report.updated):
            # The import stands either way; a refused fit is told to managers when they ask
            # for a customer (value_model_failed), not as a failed upload.
            try:
                await asyncio.to_thread(self.ensure_fit)
            except NoDataError:
                pass
            except ModelError as exc:
                log.warning("value model refused after an import: %s", exc)
        return report


def _published(fit: ValueFit) -> bool:
    return fit_params(fit).get("source") is not None


def _row_dict(score: CustomerScore) -> dict[str, Any]:
    """The score table's row (dataclasses.asdict deep-copies every field: 30 times slower)."""
    row = {name: getattr(score, name) for name in _SCORE_FIELDS}
    for key in ("segment", "tier", "risk", "trend"):
        row[key] = str(row[key])
    return row


_SCORE_FIELDS = [f.name for f in fields(CustomerScore)]


def segment_stats(table: ScoreTable) -> list[SegmentStats]:
    tally = SegmentTally()
    s = table.summary
    labels = rfm_segments(table.r_score, table.f_score, table.m_score, s.has_purchase)
    tally.add(labels, table.realized, table.clv, table.p_alive)
    return tally.stats()


def _segment_json(stats: SegmentStats) -> dict[str, Any]:
    data = asdict(stats)
    data["segment"] = stats.segment.value
    return data


def _segment_from_json(data: dict[str, Any]) -> SegmentStats:
    return SegmentStats(**{**data, "segment": RfmSegment(data["segment"])})
