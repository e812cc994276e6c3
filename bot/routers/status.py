"""/status: what an admin needs to know at a glance (health, load, refusals, errors)."""

from __future__ import annotations

import asyncio
import html
import logging
import time
from importlib.metadata import version

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import Message
from sqlalchemy import Engine

from bot.access import AccessControl
from bot.config import Settings
from bot.customers.service import ValueService
from bot.health import Check, check_database, check_index, check_state
from bot.metrics import Metrics
from bot.quiz.service import QuizService
from bot.shared_state import SharedState
from bot.texts import t
from knowledge.models import Lang
from knowledge.service import KnowledgeService
from value_engine.models import FittedModels, PurchaseModel, SpendModel

log = logging.getLogger(__name__)


def _line(name: str, check: Check) -> str:
    mark = "✅" if check.ok else "❌"
    return f"{mark} {name}: {html.escape(check.detail)} ({check.ms:.0f} ms)"


def _value_model(models: FittedModels | None) -> str:
    if models is None:
        return "value model: not fitted yet"
    purchase = {
        PurchaseModel.BGNBD: "BG/NBD",
        PurchaseModel.NBD: "NBD (no dropout seen)",
        PurchaseModel.COMMON_DROPOUT: "BG/NBD with one dropout probability",
        PurchaseModel.DROPOUT_SPLIT: "BG/NBD with leavers and stayers",
    }[models.bgnbd.kind]
    spend = "average spend" if models.gamma_gamma.kind is SpendModel.AVERAGE else "Gamma-Gamma"
    quality = models.quality
    verdict = "reliable" if quality.reliable else "⚠️ NOT reliable"
    notes = f" ({', '.join(n.value for n in quality.notes)})" if quality.notes else ""
    error = quality.holdout_error
    check = f", holdout {error * 100:+.1f}%" if error is not None else ""
    return f"value model: {verdict}{notes}: {purchase}, {spend}{check}, as of {models.as_of}"


async def _stored_models(value_service: ValueService) -> str:
    try:
        return _value_model(await asyncio.to_thread(value_service.stored_models))
    except Exception as exc:  # the database is already reported above
        log.warning("status: cannot read the value model: %s", type(exc).__name__)
        return "value model: unknown (database unavailable)"


def _uptime(seconds: float) -> str:
    hours, rest = divmod(int(seconds), 3600)
    return f"{hours} h {rest // 60} min"


async def status(
    message: Message,
    access: AccessControl,
    lang: Lang,
    settings: Settings,
    engine: Engine,
    knowledge: KnowledgeService,
    shared_state: SharedState,
    metrics: Metrics,
    quiz: QuizService,
    value_service: ValueService,
) -> None:
    if message.from_user is None or not access.is_admin(message.from_user.id):
        await message.answer(t("status_admin_only", lang))
        return
    database = await check_database(engine)
    p95 = metrics.p95_seconds()
    refused = metrics.by_label(metrics.refused, "reason")
    lines = [
        f"<b>cvm-bot {version('cvm-bot')}</b> · {html.escape(settings.instance_name)} · "
        f"{settings.run_mode} · up {_uptime(time.time() - metrics.started)}",
        _line("database", database),
        _line("knowledge index", check_index(knowledge)),
        _line("shared state", await check_state(shared_state)),
        f"quizzes run here: {quiz.running}",
        f"updates handled: {int(metrics.total(metrics.updates))}, "
        f"duplicates skipped: {int(metrics.total(metrics.duplicates))}, "
        f"in flight: {metrics.in_flight_now()}",
        "update latency p95: " + (f"≤ {p95 * 1000:.0f} ms" if p95 is not None else "—"),
        "refused: " + (", ".join(f"{k} {v}" for k, v in sorted(refused.items())) or "none"),
        f"errors: {int(metrics.total(metrics.errors))}",
        f"access policy: {settings.access_policy}",
        await _stored_models(value_service),
    ]
    await message.answer("\n".join(lines))


def make_router() -> Router:
    router = Router(name="status")
    router.message.register(status, Command("status"), F.text)
    return router
