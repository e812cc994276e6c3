"""Where an update's CPU goes: a question, a customer card and a quiz answer, one at a time.

    python bench/profile_paths.py [--n 60] [--profile DIR] [--top 25]

Each path's updates go through the real dispatcher, one after another, with the demo
company (`DATABASE_URL` if set, else SQLite in a temporary folder) and the local index
(`INDEX_DIR`, default data/index; `make index` builds it); Telegram is replaced by the
terminal session. Paths: a question (the soak's few questions, whose embeddings are
cached), a new question (embedded afresh), a card of a random customer of 3,000, a card
of one of five customers (seen a moment ago), a quiz answer, and /help (the dispatcher
and middlewares alone). Reported per path: CPU milliseconds per update (user + system of
this process, every thread), which depends much less on what else the machine runs than
latency does, and the load average it was measured under.

With --profile, every path runs again under cProfile with the worker threads' work run
inline (asyncio.to_thread), so that one profile sees all of it; DIR gets one .pstats file
per path and the output lists the functions with the most cumulative time.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import itertools
import json
import os
import pstats
import random
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

QUESTIONS = [
    ("什麼是顧客感知價值?", "zh-hant"),
    ("客户价值管理的核心是什么?", "zh-hans"),
    ("What is customer lifetime value?", "en"),
    ("顧客讓渡價值由哪些部分組成?", "zh-hant"),
    ("What drives customer perceived value?", "en"),
    ("狩野模型的三個需求層次是什麼?", "zh-hant"),
    ("What is brand equity?", "en"),
    ("What is the weather tomorrow?", "en"),
]
MANAGER = 7001
STAFF = 8001
GROUP = -100_555_000


def _cpu() -> float:
    times = os.times()
    return times.user + times.system


async def _inline(func: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
    return func(*args, **kwargs)


async def run(n: int, profile_dir: Path | None, top: int) -> dict[str, Any]:
    from aiogram import Bot
    from aiogram.client.default import DefaultBotProperties
    from aiogram.enums import ParseMode
    from aiogram.types import Chat, Message, MessageEntity, PollAnswer, Update, User

    from bot.config import Settings
    from bot.customers.demo import generate
    from bot.customers.import_report import ImportKind
    from bot.factory import build_dispatcher, build_services
    from bot.logs import configure_logging
    from bot.quiz.service import QuizSettings
    from bot.runners.terminal import TERMINAL_TOKEN, TerminalSession

    work = Path(tempfile.mkdtemp(prefix="cvm-profile-"))
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, data_dir=work,
        index_dir=Path(os.environ.get("INDEX_DIR", ROOT / "data" / "index")),
        access_policy="open", throttle_messages=100_000,
        log_level=os.environ.get("LOG_LEVEL", "WARNING"),
    )  # fmt: skip
    configure_logging(settings.log_level, "json", settings.secrets)  # as `cvm run` does
    services = build_services(settings)
    if services.value.store.customer_count() == 0:
        company = generate(customers=3000, seed=7)
        services.value.import_file(ImportKind.CUSTOMERS, company.customers_csv)
        services.value.import_file(ImportKind.TRANSACTIONS, company.transactions_csv)
    services.value.ensure_fit()
    services.value.store.set_role(MANAGER, "manager")
    session = TerminalSession(io.StringIO())
    bot = Bot(
        TERMINAL_TOKEN, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML)
    )
    dp = build_dispatcher(services)
    ids = itertools.count(1)
    rng = random.Random(7)

    def message(user_id: int, text: str, lang: str) -> Update:
        user = User(id=user_id, is_bot=False, first_name="u", language_code=lang)
        entities = None
        if text.startswith("/"):
            entities = [MessageEntity(type="bot_command", offset=0, length=len(text.split()[0]))]
        msg = Message(
            message_id=next(ids), date=datetime.now(UTC), chat=Chat(id=user_id, type="private"),
            from_user=user, text=text, entities=entities,
        )  # fmt: skip
        return Update(update_id=next(ids), message=msg)

    def question() -> Update:
        return message(STAFF, *rng.choice(QUESTIONS))

    embedder = services.knowledge.embedder

    def new_question() -> Update:
        """A question asked for the first time: the embedder's cache of recent ones forgot it."""
        if embedder is not None:
            embedder._recent.clear()  # type: ignore[attr-defined]
        return question()

    def card() -> Update:
        return message(MANAGER, f"/customer C-{rng.randint(1000, 3999)}", "en")

    def card_again() -> Update:
        """A customer looked at a moment ago (by this manager or another)."""
        return message(MANAGER, f"/customer C-{rng.randint(1000, 1004)}", "en")

    quiz = services.quiz
    players = itertools.count(100_000)
    started = await quiz.start(
        bot, GROUP, "supergroup", 1, "en", QuizSettings(count=3, seconds=600)
    )
    assert started is not None
    while not session.polls:
        await asyncio.sleep(0.01)
    poll_id = next(iter(session.polls))

    def quiz_answer() -> Update:
        player = next(players)
        answer = PollAnswer(
            poll_id=poll_id, user=User(id=player, is_bot=False, first_name=f"p{player}"),
            option_ids=[player % 4], option_persistent_ids=[str(player % 4)],
        )  # fmt: skip
        return Update(update_id=next(ids), poll_answer=answer)

    def help_() -> Update:
        return message(STAFF, "/help", "en")

    paths: dict[str, Callable[[], Update]] = {
        "question": question,
        "new_question": new_question,
        "card": card,
        "card_again": card_again,
        "quiz_answer": quiz_answer,
        "help": help_,
    }

    async def feed(make: Callable[[], Update]) -> None:
        await dp.feed_update(bot, make())
        session.calls.clear()
        session.files.clear()

    async def repeat(make: Callable[[], Update], times: int) -> None:
        for _ in range(times):
            await feed(make)
        await asyncio.sleep(0.3)  # the quiz writer's batch: its commit is part of the cost

    result: dict[str, Any] = {"load_average_before": [round(x, 2) for x in os.getloadavg()]}
    for name, make in paths.items():
        await repeat(make, 5)  # warm: first-use caches, imports, connections
        cpu, wall = _cpu(), time.perf_counter()
        await repeat(make, n)
        result[name] = {
            "cpu_ms_per_update": round(1000 * (_cpu() - cpu) / n, 1),
            "wall_ms_per_update": round(1000 * (time.perf_counter() - wall - 0.3) / n, 1),
        }
    result["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    if profile_dir is not None:
        profile_dir.mkdir(parents=True, exist_ok=True)
        original = asyncio.to_thread
        asyncio.to_thread = _inline  # type: ignore[assignment]
        try:
            for name, make in paths.items():
                profiler = cProfile.Profile()
                profiler.enable()
                await _profiled(repeat(make, n))
                profiler.disable()
                path = profile_dir / f"{name}.pstats"
                profiler.dump_stats(path)
                out = io.StringIO()
                pstats.Stats(str(path), stream=out).sort_stats("cumulative").print_stats(top)
                print(f"==== {name}\n{out.getvalue()}", file=sys.stderr)
        finally:
            asyncio.to_thread = original
    await quiz.shutdown()
    return result


async def _profiled(work: Awaitable[None]) -> None:
    await work


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=60, help="updates per path")
    parser.add_argument("--profile", type=Path, default=None, help="write cProfile stats here")
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(run(args.n, args.profile, args.top)), indent=2))


if __name__ == "__main__":
    main()
