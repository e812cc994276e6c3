"""Quiz load: many concurrent sessions, every player answering through the dispatcher.

    python bench/quiz.py [--sessions 50] [--players 30] [--rounds 3]

Each session runs in its own group with its own runner, on the embedded SQLite
database; players' poll answers are fed as Telegram updates through the real
dispatcher (Telegram itself excluded). The first round sends every answer at once
(capacity: answers handled per second); the later rounds spread the same number of
answers at random over time at `--rate` per second (latency of handling one answer,
from the update entering the dispatcher to the answer being committed).
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


async def run(sessions: int, players: int, rounds: int, rate: float) -> dict[str, float]:
    from aiogram import Bot
    from aiogram.client.default import DefaultBotProperties
    from aiogram.enums import ParseMode
    from aiogram.types import PollAnswer, Update, User

    from bot.config import Settings
    from bot.factory import build_dispatcher, build_services
    from bot.quiz.service import QuizSettings
    from bot.runners.terminal import TERMINAL_TOKEN, TerminalSession

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(  # type: ignore[call-arg]
            data_dir=Path(tmp), index_dir=ROOT / "data" / "index", dense_retrieval=False,
            _env_file=None, access_policy="open",
        )  # fmt: skip
        services = build_services(settings)
        session = TerminalSession(io.StringIO())
        bot = Bot(
            TERMINAL_TOKEN, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML)
        )
        dp = build_dispatcher(services)
        quiz = services.quiz
        chats = [-(10_000 + n) for n in range(sessions)]
        users = [User(id=1_000 + p, is_bot=False, first_name=f"p{p}") for p in range(players)]
        started = []
        for chat in chats:
            s = await quiz.start(
                bot, chat, "supergroup", 1, "zh-Hant", QuizSettings(count=rounds, seconds=60)
            )
            assert s is not None
            started.append(s)
        latencies: list[float] = []
        update_ids = iter(range(1, 10_000_000))

        rng = random.Random(1)

        async def vote(poll: dict, user: User, delay: float = 0.0) -> None:  # type: ignore[type-arg]
            if delay:
                await asyncio.sleep(delay)
            answer = PollAnswer(
                poll_id=poll["id"], user=user, option_ids=[hash((user.id, poll["id"])) % 4],
                option_persistent_ids=["0"],
            )  # fmt: skip
            t0 = time.perf_counter()
            await dp.feed_update(bot, Update(update_id=next(update_ids), poll_answer=answer))
            latencies.append(time.perf_counter() - t0)

        total = 0
        burst_seconds = 0.0
        paced: list[float] = []
        for r in range(rounds):
            while len(session.polls) < sessions * (r + 1):
                await asyncio.sleep(0.01)
            polls = list(session.polls.values())[sessions * r : sessions * (r + 1)]
            count = len(polls) * len(users)
            t0 = time.perf_counter()
            if r == 0:
                # Capacity: every answer of the round at once.
                await asyncio.gather(*(vote(poll, user) for poll in polls for user in users))
                burst_seconds = time.perf_counter() - t0
                burst = count
            else:
                # Latency: answers arrive at random moments, `rate` per second on average.
                window = count / rate
                before = len(latencies)
                await asyncio.gather(
                    *(vote(p, u, rng.uniform(0, window)) for p in polls for u in users)
                )
                paced += latencies[before:]
            total += count
            if r == 0:  # nobody is "present" before the first answers: trainers move on
                for s in started:
                    await quiz.control(s, "skip")
        while any(
            (st := quiz.store.get_session(s.id)) is not None and st.state != "finished"  # type: ignore[arg-type]
            for s in started
        ):
            await asyncio.sleep(0.05)
        answers = sum(len(quiz.store.session_rows(s.id)) for s in started)  # type: ignore[arg-type]
        await quiz.shutdown()
    burst_ms = sorted(x * 1000 for x in latencies[:burst])
    ms = sorted(x * 1000 for x in paced)
    return {
        "sessions": sessions,
        "players": players,
        "answers": total,
        "stored_answers": answers,
        "burst_answers": burst,
        "burst_answers_per_s": burst / burst_seconds,
        "burst_p95_ms": burst_ms[int(0.95 * (len(burst_ms) - 1))],
        "paced_rate_per_s": rate,
        "paced_answers": len(ms),
        "paced_p50_ms": statistics.median(ms),
        "paced_p95_ms": ms[int(0.95 * (len(ms) - 1))],
        "paced_max_ms": ms[-1],
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sessions", type=int, default=50)
    parser.add_argument("--players", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--rate", type=float, default=1000.0, help="answers/s in the paced rounds")
    args = parser.parse_args()
    result = asyncio.run(run(args.sessions, args.players, args.rounds, args.rate))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
