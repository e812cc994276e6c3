"""Build the dispatcher and the services it injects into handlers.

Services travel in the dispatcher's workflow data (`dp["knowledge"]` arrives as
the handler argument `knowledge`), never as module globals, so tests and the
terminal chat build the very same dispatcher with their own settings.
"""

from __future__ import annotations

import gc
import logging
from dataclasses import dataclass

from aiogram import Bot, Dispatcher
from aiogram.fsm.storage.base import BaseStorage
from aiogram.fsm.storage.memory import MemoryStorage
from aiogram.fsm.storage.redis import RedisStorage
from aiogram.types import BotCommand, BotCommandScopeDefault
from sqlalchemy import Engine

from bot.access import AccessControl
from bot.config import Settings
from bot.customers.service import ValueService
from bot.customers.store import CustomerStore
from bot.degraded import FallbackState, FallbackStorage, Outage
from bot.metrics import Metrics
from bot.middlewares.dedup import DeduplicateUpdates
from bot.middlewares.gate import AccessGate
from bot.middlewares.handler_metrics import HandlerMetrics
from bot.middlewares.in_flight import InFlight
from bot.middlewares.language import LanguageMiddleware
from bot.middlewares.throttle import Throttle
from bot.progress import progress
from bot.quiz.service import QuizService
from bot.quiz.store import QuizStore
from bot.routers import admin, answer_actions, customers, errors, questions, start, status
from bot.routers import quiz as quiz_router
from bot.routers import surveys as surveys_router
from bot.routers.quiz import TelegramQuizPresenter
from bot.shared_state import MemoryState, RedisState, SharedState, redis_timeouts
from bot.storage.chats import ChatStore
from bot.storage.repository import Repository, open_database
from bot.surveys.service import SurveyService
from bot.surveys.store import SurveyStore
from bot.texts import t
from knowledge.embedding import load_embedder
from knowledge.llm import LLMComposer
from knowledge.models import Lang
from knowledge.quiz.bank import load_entries
from knowledge.quiz.validate import valid_questions
from knowledge.ranker import load_models
from knowledge.service import KnowledgeService, load_service
from value_engine.scoring import ScoringPolicy

log = logging.getLogger(__name__)

# Telegram keys command lists by two-letter language code only, so "zh" gets one script.
COMMAND_LANGUAGES: dict[str | None, Lang] = {None: Lang.EN, "en": Lang.EN, "zh": Lang.ZH_HANT}


@dataclass
class Services:
    settings: Settings
    knowledge: KnowledgeService
    repo: Repository
    value: ValueService
    surveys: SurveyService
    access: AccessControl
    quiz: QuizService
    engine: Engine
    metrics: Metrics
    state: SharedState


def build_services(settings: Settings, upgrade_local: bool = False) -> Services:
    # First: a schema mismatch is refused before the slow work of loading the index.
    engine = open_database(settings.resolved_database_url, upgrade=upgrade_local)
    embedder = load_embedder(settings.embedder_threads) if settings.dense_retrieval else None
    composer = None
    if settings.llm_base_url and settings.llm_model:
        composer = LLMComposer(
            base_url=settings.llm_base_url,
            model=settings.llm_model,
            api_key=settings.llm_api_key.get_secret_value(),
            timeout=settings.llm_timeout_seconds,
        )
    with progress("knowledge index", "texts embedded") as report:  # only a first start builds
        knowledge = load_service(
            settings.corpus_dir,
            settings.resolved_index_dir,
            embedder,
            composer=composer,
            chroma_url=settings.chroma_url,
            progress=report,
            models=load_models() if settings.answer_model == "learned" else None,
        )
    repo = Repository(engine)
    store = CustomerStore(engine, default_margin=settings.value_default_margin)
    policy = ScoringPolicy(
        horizon_months=settings.value_horizon_months,
        monthly_discount_rate=settings.value_monthly_discount_rate,
        referral_share=settings.value_referral_share,
    )
    value = ValueService(store, knowledge.citations(), policy)
    surveys = SurveyService(SurveyStore(engine), knowledge.citations(), value)
    access = AccessControl(
        store,
        frozenset(settings.admin_ids),
        ChatStore(engine),
        policy=settings.access_policy,
        allowed_groups=frozenset(settings.allowed_group_ids),
    )
    quiz_store = QuizStore(engine)
    quiz = QuizService(
        quiz_store,
        valid_questions(load_entries(knowledge.chunks)),
        instance=settings.instance_name,
        lease_seconds=settings.quiz_lease_seconds,
        # Several processes (they share Redis): read other processes' answers and commands.
        sync_seconds=1.0 if settings.redis_url else None,
    )
    quiz.presenter = TelegramQuizPresenter(quiz_store)
    state: SharedState = (
        FallbackState(
            RedisState.from_url(
                settings.redis_url.get_secret_value(), settings.redis_timeout_seconds
            ),
            Outage(),
        )
        if settings.redis_url
        else MemoryState()
    )
    _settle_heap()
    return Services(
        settings=settings,
        knowledge=knowledge,
        repo=repo,
        value=value,
        surveys=surveys,
        access=access,
        quiz=quiz,
        engine=engine,
        metrics=Metrics(),
        state=state,
    )


def _settle_heap() -> None:
    """Move everything loaded at start (index, model, question bank, modules) out of the
    garbage collector's sight. Otherwise every full collection walks those millions of
    long-lived objects while the event loop waits. On the quiz benchmark (2 cores) the p95
    per answer was 51-71 ms without this and 23-32 ms with it."""
    gc.collect()
    gc.freeze()


def _fsm_storage(services: Services) -> BaseStorage:
    """FSM state in Redis when several processes share the work (in memory while Redis is
    unreachable, with the shared state's outage), else in memory."""
    settings = services.settings
    if settings.redis_url and isinstance(services.state, FallbackState):
        redis = RedisStorage.from_url(
            settings.redis_url.get_secret_value(),
            connection_kwargs=redis_timeouts(settings.redis_timeout_seconds),
        )
        return FallbackStorage(redis, MemoryStorage(), services.state.outage)
    return MemoryStorage()


def build_dispatcher(services: Services) -> Dispatcher:
    """Middleware order matters: an update is counted and tracked for shutdown first,
    then skipped if seen before; a message gets its language, then the rate limit, then
    the gate (groups, users), and only then reaches a router. The limit comes before the
    gate so that a stranger's flood costs neither role look-ups nor a refusal each."""
    settings = services.settings
    dp = Dispatcher(storage=_fsm_storage(services))
    dp["settings"] = settings
    dp["knowledge"] = services.knowledge
    dp["repo"] = services.repo
    dp["value_service"] = services.value
    dp["survey_service"] = services.surveys
    dp["access"] = services.access
    dp["quiz"] = services.quiz
    dp["engine"] = services.engine
    dp["metrics"] = services.metrics
    dp["shared_state"] = services.state
    in_flight = InFlight(services.metrics)
    dp["in_flight"] = in_flight
    dp.update.outer_middleware(in_flight)
    dp.update.outer_middleware(DeduplicateUpdates(services.state, services.metrics))
    language = LanguageMiddleware()
    gate = AccessGate()
    throttle = Throttle(
        services.state, settings.throttle_messages, settings.throttle_window_seconds
    )
    timing = HandlerMetrics(services.metrics)
    for observer in (dp.message, dp.edited_message, dp.callback_query):
        observer.outer_middleware(language)
        observer.outer_middleware(throttle)
        observer.outer_middleware(gate)
        observer.middleware(timing)
    dp.poll_answer.middleware(timing)
    dp.include_routers(
        start.make_router(),
        status.make_router(),
        admin.make_router(),
        customers.make_router(),
        surveys_router.make_router(),
        quiz_router.make_router(),
        answer_actions.make_router(),
        questions.make_router(),
        errors.make_router(),
    )
    dp.startup.register(_register_commands)
    dp.startup.register(_resume_quizzes)
    dp.shutdown.register(_drain)
    dp.shutdown.register(_stop_quizzes)
    return dp


async def _drain(in_flight: InFlight, settings: Settings) -> None:
    """Graceful shutdown: let the updates being handled finish before anything closes."""
    if in_flight.count:
        log.info("shutting down: waiting for %d update(s) in flight", in_flight.count)
    if not await in_flight.drain(settings.shutdown_timeout_seconds):
        log.warning("shutdown: %d update(s) still in flight after the timeout", in_flight.count)


async def _resume_quizzes(bot: Bot, quiz: QuizService) -> None:
    resumed = await quiz.resume_all(bot)
    if resumed:
        log.info("resumed %d open quiz session(s)", resumed)


async def _stop_quizzes(quiz: QuizService) -> None:
    await quiz.shutdown()


async def _register_commands(bot: Bot) -> None:
    for code, lang in COMMAND_LANGUAGES.items():
        commands = [
            BotCommand(command="start", description=t("cmd_start", lang)),
            BotCommand(command="help", description=t("cmd_help", lang)),
            BotCommand(command="ask", description=t("cmd_ask", lang)),
            BotCommand(command="customer", description=t("cmd_customer", lang)),
            BotCommand(command="top", description=t("cmd_top", lang)),
            BotCommand(command="segments", description=t("cmd_segments", lang)),
            BotCommand(command="survey", description=t("cmd_survey", lang)),
            BotCommand(command="quiz", description=t("cmd_quiz", lang)),
        ]
        await bot.set_my_commands(commands, scope=BotCommandScopeDefault(), language_code=code)
