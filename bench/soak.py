"""Soak: mixed traffic from many simulated users through the real dispatcher for minutes.

    python bench/soak.py [--minutes 10] [--users 200] [--think 10.0]

Each user is a closed loop (send, wait for the bot, think a random 0..2×think seconds),
so the offered load is about users/think updates per second; when the bot cannot keep
up, latency grows instead of the load. Traffic mix, by user: staff ask theory questions
in three languages and press feedback buttons, chat in a group without addressing the
bot, or send /help; 20 managers ask for customer breakdowns and /top; one user sends
far too fast and is throttled. Services are the real ones (SQLite, embedded chromadb,
the demo company); Telegram itself is replaced by a recording session.

Reported: updates handled per second, p50/p95/max latency per served update (those
refused by the rate limit are counted apart), memory (RSS)
after the warm-up minute and at the end (target: growth at most 10%), unhandled errors
(target: 0) and lost updates (target: 0; an update is lost when one that needs a reply
got none).
"""

from __future__ import annotations

import argparse
import asyncio
import io
import itertools
import json
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from aiogram import Bot  # noqa: E402
from aiogram.client.default import DefaultBotProperties  # noqa: E402
from aiogram.enums import ParseMode  # noqa: E402
from aiogram.methods import TelegramMethod  # noqa: E402
from aiogram.types import (  # noqa: E402
    CallbackQuery,
    Chat,
    Message,
    MessageEntity,
    Update,
    User,
)

from bot.runners.terminal import BOT_USER, TERMINAL_TOKEN, TerminalSession  # noqa: E402

QUESTIONS = [
    "什麼是顧客感知價值?", "什么是顾客让渡价值?", "What is customer lifetime value?",
    "狩野模型的三個需求層次是什麼?", "What is brand equity?", "二八法則是什麼?",
    "如何提升顧客感知價值?", "What is influence value?", "客户资产由哪些部分组成?",
    "What is the weather tomorrow?", "潛在價值和既成價值有什麼不同?",
]  # fmt: skip
GROUP = -100_777_000
MANAGERS = 20


class SoakSession(TerminalSession):
    """Answers like the terminal session but keeps only counts, so memory measures the bot."""

    def __init__(self) -> None:
        super().__init__(io.StringIO())
        self.per_chat: dict[int, int] = {}
        self.per_query: dict[str, int] = {}

    async def make_request(
        self, bot: Bot, method: TelegramMethod[Any], timeout: int | None = None
    ) -> Any:
        result = await super().make_request(bot, method, timeout)
        name, params = self.calls.pop()
        if "chat_id" in params:
            chat = int(params["chat_id"])
            self.per_chat[chat] = self.per_chat.get(chat, 0) + 1
        if name == "answerCallbackQuery":
            query = str(params["callback_query_id"])
            self.per_query[query] = self.per_query.get(query, 0) + 1
        self.files.clear()
        self.buttons.clear()
        self._out.seek(0)
        self._out.truncate()
        return result


class Soak:
    def __init__(self, dp: Any, bot: Bot, session: SoakSession, metrics: Any) -> None:
        self.dp, self.bot, self.session, self.metrics = dp, bot, session, metrics
        self.ids = itertools.count(1)
        self.latencies: list[float] = []
        self.lost: list[str] = []
        self.sent = 0
        self.refused = 0
        self.last_answer: dict[int, int] = {}  # user -> message id of an answer with buttons

    def _message(self, user: User, chat: Chat, text: str) -> Update:
        entities = None
        if text.startswith("/"):
            entities = [MessageEntity(type="bot_command", offset=0, length=len(text.split()[0]))]
        message = Message(
            message_id=next(self.ids), date=datetime.now(UTC), chat=chat, from_user=user,
            text=text, entities=entities,
        )  # fmt: skip
        return Update(update_id=next(self.ids), message=message)

    def _press(self, user: User, data: str) -> Update:
        origin = Message(
            message_id=self.last_answer.get(user.id, 1), date=datetime.now(UTC),
            chat=Chat(id=user.id, type="private"), from_user=User(**BOT_USER), text="answer",
        )  # fmt: skip
        query = CallbackQuery(
            id=f"q{next(self.ids)}", from_user=user, chat_instance="c", message=origin, data=data
        )
        return Update(update_id=next(self.ids), callback_query=query)

    async def feed(
        self,
        update: Update,
        expect_chat: int | None,
        expect_query: str | None,
        may_throttle: bool = False,
    ) -> None:
        before_chat = self.session.per_chat.get(expect_chat, 0) if expect_chat else 0
        refused_before = self.metrics.total(self.metrics.refused)
        started = time.perf_counter()
        await self.dp.feed_update(self.bot, update)
        elapsed = time.perf_counter() - started
        self.sent += 1
        if may_throttle and self.metrics.total(self.metrics.refused) > refused_before:
            self.refused += 1  # throttled on purpose (a notice at most): not lost
            return
        self.latencies.append(elapsed)
        if expect_chat is not None and self.session.per_chat.get(expect_chat, 0) <= before_chat:
            self.lost.append(f"update {update.update_id}: no reply in chat {expect_chat}")
        if expect_query is not None and not self.session.per_query.get(expect_query):
            self.lost.append(f"update {update.update_id}: callback {expect_query} not answered")

    async def user(self, n: int, deadline: float, think: float) -> None:
        rng = random.Random(n)
        lang = ("zh-hant", "zh-hans", "en")[n % 3]
        user = User(id=10_000 + n, is_bot=False, first_name=f"u{n}", language_code=lang)
        private = Chat(id=user.id, type="private")
        group = Chat(id=GROUP, type="supergroup", title="Soak")
        manager = n < MANAGERS
        spammer = n == MANAGERS  # sends without thinking: throttled, never lost
        while time.monotonic() < deadline:
            roll = rng.random()
            if manager and roll < 0.5:
                text = f"/customer C-{1000 + rng.randrange(2000)}" if roll < 0.4 else "/top"
                await self.feed(self._message(user, private, text), private.id, None)
            elif roll < 0.7 or spammer:
                update = self._message(user, private, rng.choice(QUESTIONS))
                await self.feed(update, private.id, None, may_throttle=spammer)
                self.last_answer[user.id] = self.session.per_chat.get(private.id, 0)
            elif roll < 0.8:
                update = self._press(user, f"fb:{rng.randrange(1, 50)}:1")
                assert update.callback_query is not None
                await self.feed(update, None, update.callback_query.id)
            elif roll < 0.92:
                update = self._message(user, group, "lunch at noon? 中午吃什麼")
                await self.feed(update, None, None)  # not addressed: no reply expected
            else:
                await self.feed(self._message(user, private, "/help"), private.id, None)
            await asyncio.sleep(0.5 if spammer else rng.uniform(0, 2 * think))


async def run(minutes: float, users: int, think: float) -> dict[str, Any]:
    from bot.config import Settings
    from bot.customers.demo import generate
    from bot.customers.import_report import ImportKind
    from bot.factory import build_dispatcher, build_services

    workdir = Path(tempfile.mkdtemp(prefix="cvm-soak-"))
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, data_dir=workdir, allowed_group_ids=[GROUP],
        throttle_messages=30, throttle_window_seconds=60, access_policy="open",
    )  # fmt: skip
    services = build_services(settings)
    company = generate(customers=3000, seed=3)
    services.value.import_file(ImportKind.CUSTOMERS, company.customers_csv)
    services.value.import_file(ImportKind.TRANSACTIONS, company.transactions_csv)
    services.value.ensure_fit()
    for n in range(MANAGERS):
        services.value.store.set_role(10_000 + n, "manager")
    session = SoakSession()
    bot = Bot(
        TERMINAL_TOKEN, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML)
    )
    dp = build_dispatcher(services)
    soak = Soak(dp, bot, session, services.metrics)
    process = psutil.Process()
    started = time.monotonic()
    deadline = started + minutes * 60
    tasks = [asyncio.create_task(soak.user(n, deadline, think)) for n in range(users)]
    warm_rss = None
    samples: list[tuple[float, float]] = []
    while not all(t.done() for t in tasks):
        await asyncio.sleep(5)
        rss = process.memory_info().rss / 2**20
        elapsed = time.monotonic() - started
        samples.append((round(elapsed), round(rss, 1)))
        if warm_rss is None and elapsed >= min(60, minutes * 60 / 3):
            warm_rss = rss
    for task in tasks:
        task.result()  # an exception in a simulated user is a failure of the bench itself
    elapsed = time.monotonic() - started
    end_rss = process.memory_info().rss / 2**20
    lat = sorted(soak.latencies)
    metrics = services.metrics
    refused = metrics.by_label(metrics.refused, "reason")
    return {
        "minutes": round(elapsed / 60, 2),
        "users": users,
        "updates": soak.sent,
        "updates_per_s": round(soak.sent / elapsed, 1),
        "served": len(lat),
        "throttled": soak.refused,
        "p50_ms": round(statistics.median(lat) * 1000, 1),
        "p95_ms": round(lat[int(0.95 * (len(lat) - 1))] * 1000, 1),
        "max_ms": round(lat[-1] * 1000, 1),
        "rss_warm_mb": round(warm_rss or end_rss, 1),
        "rss_end_mb": round(end_rss, 1),
        "rss_growth_pct": round(100 * (end_rss / (warm_rss or end_rss) - 1), 1),
        "unhandled_errors": int(metrics.total(metrics.errors)),
        "lost_updates": len(soak.lost),
        "lost_examples": soak.lost[:5],
        "handled_by_dispatcher": int(metrics.total(metrics.updates)),
        "refused": refused,
        "rss_samples": samples[:: max(1, len(samples) // 12)],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--think", type=float, default=10.0, help="mean think time, seconds")
    args = parser.parse_args()
    result = asyncio.run(run(args.minutes, args.users, args.think))
    print(json.dumps(result, ensure_ascii=False, indent=2))
    ok = (
        result["unhandled_errors"] == 0
        and result["lost_updates"] == 0
        and result["rss_growth_pct"] <= 10
        and result["handled_by_dispatcher"] == result["updates"]
    )
    print("targets met" if ok else "TARGETS MISSED", file=sys.stderr)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
