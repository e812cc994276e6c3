"""Soak in the production topology, with Redis and PostgreSQL restarted under load.

    python bench/soak_prod.py [--minutes 10] [--users 200] [--think 10.0]
                              [--redis-at 3] [--postgres-at 6] [--outage 20]

Two `cvm run` processes in webhook mode behind the test suite's local Bot API server,
which delivers every update by POST to one of them in turn and retries whatever does
not get a 200, like Telegram. PostgreSQL and Redis come from deploy/local/services.sh
(the demo company in PostgreSQL, the managers granted by `cvm users grant`). Each
simulated user is a closed loop: write, wait for the reply, think 0..2×think seconds.
Staff ask theory questions in three languages or send /help; 20 managers ask for
customer cards. Redis is stopped at --redis-at minutes and PostgreSQL at
--postgres-at, each for --outage seconds.

Targets (issue 14): no lost update (every message got a reply, at most a "temporarily
limited" one during an outage), no duplicate reply, p95 under 250 ms outside the
outages, memory growth of each process under 10% after the first minute.
"""

from __future__ import annotations

import argparse
import asyncio
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
from tests.telegram_server.server import BotApiServer  # noqa: E402
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
    latency: float | None = None  # None: no reply within the wait
    limited: bool = False


@dataclass
class Soak:
    api: BotApiServer
    outcomes: list[Outcome] = field(default_factory=list)
    outages: list[tuple[float, float]] = field(default_factory=list)
    stop_at: float = 0.0

    async def user(self, chat: int, manager: bool, think: float, rng: random.Random) -> None:
        await asyncio.sleep(rng.uniform(0, think))
        while time.monotonic() < self.stop_at:
            if manager:
                text, lang = f"/customer C-{rng.randint(1000, 3999)}", "en"
            else:
                text, lang = rng.choice(QUESTIONS)
            before = len(self.api.bot_messages(chat))
            outcome = Outcome(chat, time.monotonic(), max(self.api.messages, default=0))
            self.outcomes.append(outcome)
            await self.api.send_text(text, chat_id=chat, user_id=chat, language_code=lang)
            try:
                reply = await self.api.wait_for(
                    lambda s, c=chat, b=before: s.bot_messages(c)[b:] or None, timeout=90
                )
            except TimeoutError:
                continue
            outcome.latency = time.monotonic() - outcome.sent_at
            outcome.limited = any(word in reply[0].plain for word in LIMITED)
            await asyncio.sleep(rng.uniform(0, 2 * think))


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


def _duplicate_replies(api: BotApiServer, outcomes: list[Outcome]) -> int:
    """Replies sent twice: the same content twice in answer to one message (a card and
    its chart are two different messages; the same answer twice is a duplicate)."""
    by_chat: dict[int, list[Outcome]] = {}
    for outcome in outcomes:
        by_chat.setdefault(outcome.chat, []).append(outcome)
    duplicates = 0
    for chat, sent in by_chat.items():
        sent.sort(key=lambda o: o.after_message)
        groups: dict[int, list[str]] = {}
        for message in api.bot_messages(chat):
            owner = max(
                (i for i, o in enumerate(sent) if o.after_message < message.message_id),
                default=-1,
            )
            content = message.text + repr(message.photo is not None)
            groups.setdefault(owner, []).append(content)
        duplicates += sum(len(group) - len(set(group)) for group in groups.values())
    return duplicates


def _rss_mb(procs: list[subprocess.Popen[bytes]]) -> list[float]:
    return [psutil.Process(p.pid).memory_info().rss / 2**20 for p in procs]


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
    base = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "INDEX_DIR": str(work / "index"),
        "LOG_LEVEL": "WARNING",
    }
    base.pop("TELEGRAM_BOT_TOKEN", None)
    cli = [sys.executable, "-m", "bot.cli"]
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
        procs.append(subprocess.Popen([*cli, "run", "--api-url", api_url], env=bot_env, stderr=log))
    soak = Soak(api)
    try:
        await api.wait_for(lambda s: s.webhook is not None, timeout=300)
        api.webhook_targets = [f"http://127.0.0.1:{p}/telegram/webhook" for p in ports]
        await wait_ready(ports, seconds=300)
        started = time.monotonic()
        soak.stop_at = started + args.minutes * 60
        rng = random.Random(7)
        users = []
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

        chaos = [
            asyncio.create_task(outage(args.redis_at, _stop_redis, "Redis")),
            asyncio.create_task(outage(args.postgres_at, _stop_postgres, "PostgreSQL")),
        ]
        await asyncio.sleep(60)
        rss_warm = _rss_mb(procs)
        await asyncio.gather(*users, *chaos)
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
        _services("stop", state, env)

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
    return {
        "cores": os.cpu_count(),
        "minutes": args.minutes,
        "users": args.users,
        "updates": len(soak.outcomes),
        "updates_per_s": round(len(soak.outcomes) / (args.minutes * 60), 2),
        "lost": lost,
        "limited_replies": sum(o.limited for o in answered),
        "duplicates": duplicates,
        "p50_ms_outside_outages": round(statistics.median(calm) * 1000) if calm else None,
        "p95_ms_outside_outages": round(p95 * 1000),
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
    result = asyncio.run(run(parser.parse_args()))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
