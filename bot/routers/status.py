"""/status: what an admin needs to know at a glance (health, load, refusals, errors)."""

from __future__ import annotations

import html
import time
from importlib.metadata import version

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import Message
from sqlalchemy import Engine

from bot.access import AccessControl
from bot.config import Settings
from bot.health import Check, check_database, check_index, check_state
from bot.metrics import Metrics
from bot.quiz.service import QuizService
from bot.shared_state import SharedState
from bot.texts import t
from knowledge.models import Lang
from knowledge.service import KnowledgeService


def _line(name: str, check: Check) -> str:
    mark = "✅" if check.ok else "❌"
    return f"{mark} {name}: {html.escape(check.detail)} ({check.ms:.0f} ms)"


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
    ]
    await message.answer("\n".join(lines))


def make_router() -> Router:
    router = Router(name="status")
    router.message.register(status, Command("status"), F.text)
    return router
