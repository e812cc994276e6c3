"""Soak in the production topology, with Redis and PostgreSQL restarted under load.

    python bench/soak_prod.py [--minutes 10] [--users 200] [--think 10.0]
                              [--redis-at 3] [--postgres-at 6] [--outage 20]
                              [--rate 30] [--no-outages] [--index-dir DIR] [--profile]

Two `cvm run` processes in webhook mode behind the test suite's local Bot API server,
which delivers every update by POST to one of them in turn and retries whatever does
not get a 200, like Telegram. PostgreSQL and Redis come from deploy/local/services.sh
(the demo company in PostgreSQL, the managers granted by `cvm users grant`). Each
simulated user is a closed loop: write, wait for the reply, think 0..2×think seconds.
Staff ask theory questions in three languages or send /help; 20 managers ask for
customer cards. Redis is stopped at --redis-at minutes and PostgreSQL at
--postgres-at, each for --outage seconds (--no-outages: neither).

With --rate, the load is offered at that many updates per second whatever the latency
(arrivals at random, Poisson), the same mix (one card in ten, one /help in six of the
rest); each arrival goes to an idle simulated user, so that every chat still has one
request in flight at most and replies stay attributable. An arrival that finds no idle
user is counted as `no_idle_user`: the bot is not keeping up. This finds the rate the
bot sustains, which a closed loop (where slower replies slow the users) hides.

A request's latency runs until its reply is complete: a card's chart comes first, then
its text. Replies are grouped by the request they answer and compared by everything
sent (text, picture bytes, file name), so two different cards are two replies and the
same card twice is a duplicate.

Targets (issue 14): no lost update (every message got a reply, at most a "temporarily
limited" one during an outage), no duplicate reply, p95 under 250 ms outside the
outages, memory growth of each process under 10% after the first minute.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.postgres import free_port  # noqa: E402
from tests.telegram_server.server import BotApiServer, SentMessage  # noqa: E402
from tests.webhook_cluster import wait_ready, webhook_env  # noqa: E402

SERVICES = ROOT / "deploy" / "local" / "services.sh"
TOKEN = "616161:soak-prod-token-abcdefghijklmnopqrstu"
SECRET = "soak-prod-webhook-secret-0123456789abcdef"
ADMIN = 7000
MANAGERS = range(7001, 7021)
QUESTIONS = [
    ("什麼是顧客感知價值?", "zh-hant"),
    ("客户价值管理的核心是什么?", "zh-hans"),
    ("What is customer lifetime value?", "en"),
    ("顧客讓渡價值由哪些部分組成?", "zh-hant"),
    ("What drives customer perceived value?", "en"),
    ("/help", "en"),
]
LIMITED = ("temporarily", "暫時", "暂时")


@dataclass
class Outcome:
    chat: int
    sent_at: float
    after_message: int  # the last message id before this one was sent
    latency: float | None = None  # None: no complete reply within the wait
    limited: bool = False
    kind: str = ""  # "card", "question" or "help"


def reply_end(messages: list[SentMessage]) -> SentMessage | None:
    """The message that completes a reply: its first text. A card's chart (a photo
    without a caption) comes before the card's text and does not end the reply."""
    return next((m for m in messages if m.photo is None), None)


def _request(rng: random.Random, manager: bool) -> tuple[str, str, str]:
    """What a user sends: text, client language, kind."""
    if manager:
        return f"/customer C-{rng.randint(1000, 3999)}", "en", "card"
    text, lang = rng.choice(QUESTIONS)
    return text, lang, "help" if text == "/help" else "question"


@dataclass
class Soak:
    api: BotApiServer
    outcomes: list[Outcome] = field(default_factory=list)
    outages: list[tuple[float, float]] = field(default_factory=list)
    stop_at: float = 0.0
    no_idle_user: int = 0

    async def request(self, chat: int, text: str, lang: str, kind: str) -> None:
        """Send one message and wait for its complete reply (90 s at most)."""
        before = len(self.api.bot_messages(chat))
        outcome = Outcome(chat, time.monotonic(), self.api.last_message_id, kind=kind)
        self.outcomes.append(outcome)
        await self.api.send_text(text, chat_id=chat, user_id=chat, language_code=lang)
        try:
            end = await self.api.wait_for(
                lambda s, c=chat, b=before: reply_end(s.bot_messages(c)[b:]), timeout=90
            )
        except TimeoutError:
            return
        outcome.latency = time.monotonic() - outcome.sent_at
        outcome.limited = any(word in end.plain for word in LIMITED)

    async def user(self, chat: int, manager: bool, think: float, rng: random.Random) -> None:
        """A closed loop: write, wait for the reply, think."""
        await asyncio.sleep(rng.uniform(0, think))
        while time.monotonic() < self.stop_at:
            await self.request(chat, *_request(rng, manager))
            await asyncio.sleep(rng.uniform(0, 2 * think))

    async def offer(
        self, rate: float, managers: list[int], staff: list[int], rng: random.Random
    ) -> None:
        """An open loop: `rate` arrivals per second, each to an idle user of its kind."""
        idle = {True: list(managers), False: list(staff)}
        share = len(managers) / (len(managers) + len(staff))
        running: set[asyncio.Task[None]] = set()

        async def serve(chat: int, manager: bool) -> None:
            try:
                await self.request(chat, *_request(rng, manager))
            finally:
                idle[manager].append(chat)

        next_at = time.monotonic()
        while True:
            next_at += rng.expovariate(rate)
            if next_at >= self.stop_at:
                break
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))
            manager = rng.random() < share
            if not idle[manager]:
                self.no_idle_user += 1
                continue
            chat = idle[manager].pop(rng.randrange(len(idle[manager])))
            task = asyncio.create_task(serve(chat, manager))
            running.add(task)
            task.add_done_callback(running.discard)
        await asyncio.gather(*running)


def _services(action: str, state: Path, env: dict[str, str]) -> str:
    done = subprocess.run(
        ["bash", str(SERVICES), action, str(state)],
        env=env, capture_output=True, text=True, timeout=180, check=True,
    )  # fmt: skip
    return done.stdout


def _stop_redis(state: Path) -> None:
    pid = (state / "redis.pid").read_text().strip()
    os.kill(int(pid), signal.SIGTERM)
    (state / "redis.pid").unlink()


def _stop_postgres(state: Path) -> None:
    bin_dir = sorted(Path("/usr/lib/postgresql").glob("*/bin"))[-1]
    command = [str(bin_dir / "pg_ctl"), "-D", str(state / "pg"), "-m", "fast", "stop"]
    if os.getuid() == 0:
        command = ["runuser", "-u", "postgres", "--", *command]
    subprocess.run(command, check=True, capture_output=True, timeout=60)


def _content(message: SentMessage) -> tuple[str, str | None, str | None]:
    """Everything a message carries: its text, and a picture's bytes and file name."""
    digest = hashlib.sha256(message.photo).hexdigest() if message.photo is not None else None
    return message.text, digest, message.filename


def _duplicate_replies(api: BotApiServer, outcomes: list[Outcome]) -> int:
    """Replies sent twice: the same message twice in answer to one request. Each message
    belongs to the chat's last request sent before it, and is compared by its whole
    content: two different cards' charts are two replies (they differ in bytes and
    name), the same chart twice is one update handled twice."""
    by_chat: dict[int, list[Outcome]] = {}
    for outcome in outcomes:
        by_chat.setdefault(outcome.chat, []).append(outcome)
    duplicates = 0
    for chat, sent in by_chat.items():
        sent.sort(key=lambda o: o.after_message)
        groups: dict[int, list[tuple[str, str | None, str | None]]] = {}
        for message in api.bot_messages(chat):
            owner = max(
                (i for i, o in enumerate(sent) if o.after_message < message.message_id),
                default=-1,
            )
            groups.setdefault(owner, []).append(_content(message))
        duplicates += sum(len(group) - len(set(group)) for group in groups.values())
    return duplicates


def _rss_mb(procs: list[subprocess.Popen[bytes]]) -> list[float]:
    return [psutil.Process(p.pid).memory_info().rss / 2**20 for p in procs]


def _cpu_seconds(procs: list[subprocess.Popen[bytes]]) -> list[float]:
    """CPU time (user + system) each bot process has used: divided by the updates, the
    cost of one, which depends less on what else the machine runs than latency does."""
    times = [psutil.Process(p.pid).cpu_times() for p in procs]
    return [t.user + t.system for t in times]


def _percentiles(latencies: list[float | None]) -> list[int] | None:
    """p50 and p95 in ms, or None without any."""
    done = sorted(x for x in latencies if x is not None)
    if not done:
        return None
    return [round(statistics.median(done) * 1000), round(done[int(0.95 * (len(done) - 1))] * 1000)]


async def run(args: argparse.Namespace) -> dict[str, object]:
    work = Path(tempfile.mkdtemp(prefix="soak-prod-"))
    state = work / "services"
    env = {
        **os.environ,
        "CVM_PG_PORT": str(free_port()),
        "CVM_REDIS_PORT": str(free_port()),
        "CVM_DB_PASSWORD": "soak-pw",
    }
    database_url, redis_url = _services("start", state, env).split()
    try:  # the services stop however the soak ends, a failed set-up included
        return await _soak(args, work, state, env, database_url, redis_url)
    finally:
        _services("stop", state, env)


async def _soak(
    args: argparse.Namespace,
    work: Path,
    state: Path,
    env: dict[str, str],
    database_url: str,
    redis_url: str,
) -> dict[str, object]:
    base = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "INDEX_DIR": str(work / "index"),
        "LOG_LEVEL": "WARNING",
    }
    base.pop("TELEGRAM_BOT_TOKEN", None)
    cli = [sys.executable, "-m", "bot.cli"]
    if args.index_dir is not None:  # a built index (e.g. `make index`'s data/index)
        base["INDEX_DIR"] = str(Path(args.index_dir).resolve())
    else:
        subprocess.run([*cli, "index"], env=base, check=True, capture_output=True)
    subprocess.run([*cli, "demo-data"], env=base, check=True, capture_output=True)
    for manager in MANAGERS:
        subprocess.run(
            [*cli, "users", "grant", str(manager), "manager"],
            env=base, check=True, capture_output=True,
        )  # fmt: skip

    api = BotApiServer()
    api_url = await api.start()
    procs: list[subprocess.Popen[bytes]] = []
    ports = []
    for name in ("bot-a", "bot-b"):
        port = free_port()
        ports.append(port)
        bot_env = {
            **base,
            **webhook_env(name, port, TOKEN, SECRET, register=name == "bot-a"),
            "ACCESS_POLICY": "open",
            "DATA_DIR": str(work / name),
            "ADMIN_IDS": str(ADMIN),
            "THROTTLE_MESSAGES": "1000",
        }
        log = (work / f"{name}.log").open("w")
        run = [*cli, "run", "--api-url", api_url]
        if args.profile:  # the event loop's thread: webhook, aiogram, replies, middlewares
            stats = work / f"{name}.pstats"
            run = [sys.executable, "-m", "cProfile", "-o", str(stats), "-m", "bot.cli", *run[3:]]
        procs.append(subprocess.Popen(run, env=bot_env, stderr=log))
    soak = Soak(api)
    try:
        await api.wait_for(lambda s: s.webhook is not None, timeout=300)
        api.webhook_targets = [f"http://127.0.0.1:{p}/telegram/webhook" for p in ports]
        await wait_ready(ports, seconds=300)
        started = time.monotonic()
        soak.stop_at = started + args.minutes * 60
        cpu_start = _cpu_seconds(procs)
        harness_start = time.process_time()
        rng = random.Random(7)
        users = []
        if args.rate:
            staff = [8000 + n for n in range(len(MANAGERS), args.users)]
            offered = soak.offer(args.rate, list(MANAGERS), staff, random.Random(rng.random()))
            users.append(asyncio.create_task(offered))
        else:
            for n in range(args.users):
                manager = n < len(MANAGERS)
                chat = MANAGERS[n] if manager else 8000 + n
                seeded = random.Random(rng.random())
                users.append(asyncio.create_task(soak.user(chat, manager, args.think, seeded)))

        async def outage(at_minute: float, stop: object, label: str) -> None:
            await asyncio.sleep(max(0.0, started + at_minute * 60 - time.monotonic()))
            down = time.monotonic()
            stop(state)  # type: ignore[operator]
            print(f"{label} stopped at {(down - started) / 60:.1f} min", flush=True)
            await asyncio.sleep(args.outage)
            await asyncio.to_thread(_services, "start", state, env)
            up = time.monotonic()
            soak.outages.append((down, up))
            print(f"{label} back after {up - down:.0f} s", flush=True)

        chaos = (
            []
            if args.no_outages
            else [
                asyncio.create_task(outage(args.redis_at, _stop_redis, "Redis")),
                asyncio.create_task(outage(args.postgres_at, _stop_postgres, "PostgreSQL")),
            ]
        )
        await asyncio.sleep(min(60.0, args.minutes * 20))
        rss_warm = _rss_mb(procs)
        await asyncio.gather(*users, *chaos)
        cpu_used = [end - start for start, end in zip(cpu_start, _cpu_seconds(procs), strict=True)]
        harness_cpu = time.process_time() - harness_start  # the users and the Bot API server
        await asyncio.sleep(5)
        rss_end = _rss_mb(procs)
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=40)
            except subprocess.TimeoutExpired:
                proc.kill()
        await api.stop()

    grace = 30.0  # after a service is back, pools reconnect and retried updates drain

    def in_outage(t: float) -> bool:
        return any(down <= t <= up + grace for down, up in soak.outages)

    answered = [o for o in soak.outcomes if o.latency is not None]
    lost = len(soak.outcomes) - len(answered)
    calm = [o.latency for o in answered if not in_outage(o.sent_at) and o.latency is not None]
    calm.sort()
    p95 = calm[int(0.95 * (len(calm) - 1))] if calm else float("nan")
    duplicates = _duplicate_replies(api, soak.outcomes)
    growth = [end / warm - 1 for warm, end in zip(rss_warm, rss_end, strict=True)]
    by_kind = {
        kind: _percentiles(
            [o.latency for o in answered if o.kind == kind and not in_outage(o.sent_at)]
        )
        for kind in ("question", "card", "help")
    }
    return {
        "cores": os.cpu_count(),
        "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
        "minutes": args.minutes,
        "users": args.users,
        "offered_rate": args.rate,
        "no_idle_user": soak.no_idle_user,
        "updates": len(soak.outcomes),
        "updates_per_s": round(len(soak.outcomes) / (args.minutes * 60), 2),
        "bot_cpu_ms_per_update": round(1000 * sum(cpu_used) / max(1, len(soak.outcomes)), 1),
        "bot_cpu_share_of_a_core": [round(c / (args.minutes * 60), 2) for c in cpu_used],
        "harness_cpu_share_of_a_core": round(harness_cpu / (args.minutes * 60), 2),
        "lost": lost,
        "limited_replies": sum(o.limited for o in answered),
        "duplicates": duplicates,
        "p50_ms_outside_outages": round(statistics.median(calm) * 1000) if calm else None,
        "p95_ms_outside_outages": round(p95 * 1000),
        "p50_p95_ms_by_kind": by_kind,
        "max_ms_during_outages": round(
            max((o.latency or 0) for o in answered if in_outage(o.sent_at)) * 1000
        )
        if any(in_outage(o.sent_at) for o in answered)
        else None,
        "rss_mb_after_first_minute": [round(v) for v in rss_warm],
        "rss_mb_end": [round(v) for v in rss_end],
        "rss_growth": [round(g, 3) for g in growth],
        "logs": str(work),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--think", type=float, default=10.0)
    parser.add_argument("--redis-at", type=float, default=3.0)
    parser.add_argument("--postgres-at", type=float, default=6.0)
    parser.add_argument("--outage", type=float, default=20.0)
    parser.add_argument(
        "--rate", type=float, default=0.0, help="offered updates/s (open loop); 0: closed loop"
    )
    parser.add_argument("--no-outages", action="store_true", help="stop neither service")
    parser.add_argument("--index-dir", default=None, help="use this built index")
    parser.add_argument(
        "--profile", action="store_true", help="run each bot under cProfile (bot-a.pstats, ...)"
    )
    result = asyncio.run(run(parser.parse_args()))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
