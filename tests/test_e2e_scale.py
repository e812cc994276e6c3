"""Two bot processes behind one webhook, sharing PostgreSQL and Redis started from Debian's
packages by `deploy/local/services.sh` (the no-container path of deploy/README.md).

The local Bot API server spreads webhook deliveries over both processes, as a load
balancer would. Both serve updates; a duplicate delivery is answered once; a quiz keeps
its score when the process running it is killed and the other one adopts it.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import pytest
import pytest_asyncio
from sqlalchemy import create_engine, text

from tests.postgres import free_port
from tests.telegram_server.server import BotApiServer, SentMessage
from tests.webhook_cluster import ops_port, wait_ready, webhook_env

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.asyncio(loop_scope="session")]
ROOT = Path(__file__).resolve().parents[1]
SERVICES = ROOT / "deploy" / "local" / "services.sh"
TOKEN = "515151:E2E-scale-token-abcdefghijklmnopqrs"
SECRET = "webhook-secret-for-tests-0123456789abcdef"
ADMIN, ANN, BEN, GROUP = 9600, 9601, 9602, -100960


@pytest.fixture(scope="module")
def shared_services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    if not shutil.which("redis-server") or not list(Path("/usr/lib/postgresql").glob("*/bin")):
        if os.environ.get("CVM_REQUIRE_POSTGRES") == "1":
            pytest.fail("PostgreSQL and Redis are required here (CI installs them)")
        pytest.skip("PostgreSQL or Redis is not installed: deploy/local/services.sh install")
    state = tmp_path_factory.mktemp("services")
    env = {
        **os.environ,
        "CVM_PG_PORT": str(free_port()),
        "CVM_REDIS_PORT": str(free_port()),
        "CVM_DB_PASSWORD": "s3cret-pw",
    }
    started = subprocess.run(
        ["bash", str(SERVICES), "start", str(state)],
        env=env, capture_output=True, text=True, timeout=180, check=True,
    )  # fmt: skip
    database_url, redis_url = started.stdout.split()
    try:
        yield {"DATABASE_URL": database_url, "REDIS_URL": redis_url}
    finally:
        subprocess.run(["bash", str(SERVICES), "stop", str(state)], env=env, timeout=120)


class Bot:
    def __init__(self, name: str, port: int, proc: subprocess.Popen[bytes], log: Path) -> None:
        self.name, self.port, self.proc, self.log = name, port, proc, log

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ops_url(self) -> str:
        """/healthz, /readyz and /metrics: their own port, not the webhook's."""
        return f"http://127.0.0.1:{ops_port(self.port)}"


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def cluster(
    shared_services: dict[str, str], tmp_path_factory: pytest.TempPathFactory, index_dir: Path
) -> AsyncIterator[tuple[BotApiServer, list[Bot]]]:
    api = BotApiServer()
    api_url = await api.start()
    workdir = tmp_path_factory.mktemp("cluster")
    bots: list[Bot] = []
    for name in ("bot-a", "bot-b"):
        port = free_port()
        env = {
            **os.environ,
            **shared_services,
            **webhook_env(name, port, TOKEN, SECRET, register=name == "bot-a"),
            "ACCESS_POLICY": "open",
            "QUIZ_LEASE_SECONDS": "3",
            "DATA_DIR": str(workdir / name),
            "INDEX_DIR": str(index_dir),
            "ADMIN_IDS": f"[{ADMIN}]",
        }
        log = workdir / f"{name}.log"
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "run", "--api-url", api_url],
            env=env, stdout=log.open("w"), stderr=subprocess.STDOUT,
        )  # fmt: skip
        bots.append(Bot(name, port, proc, log))
    try:
        await api.wait_for(lambda s: s.webhook is not None, timeout=180)
        api.webhook_targets = [f"{b.url}/telegram/webhook" for b in bots]
        try:
            await wait_ready([b.port for b in bots])
        except TimeoutError as exc:
            logs = "\n".join(b.log.read_text()[-2000:] for b in bots)
            raise TimeoutError(f"{exc}: {logs}") from None
        yield api, bots
    finally:
        for b in bots:
            if b.proc.poll() is None:
                b.proc.send_signal(signal.SIGTERM)
        for b in bots:
            try:
                b.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                b.proc.kill()
        await api.stop()


async def _replies(api: BotApiServer, chat: int, after: int, count: int = 1) -> list[SentMessage]:
    def check(s: BotApiServer) -> list[SentMessage] | None:
        new = [m for m in s.bot_messages(chat) if m.message_id > after]
        return new if len(new) >= count else None

    return await api.wait_for(check, timeout=60)  # type: ignore[no-any-return]


async def test_health_readiness_metrics_and_the_secret(
    cluster: tuple[BotApiServer, list[Bot]],
) -> None:
    _api, bots = cluster
    async with aiohttp.ClientSession() as http:
        for b in bots:
            async with http.get(f"{b.ops_url}/healthz") as response:
                assert response.status == 200
            async with http.get(f"{b.ops_url}/readyz") as response:
                body = await response.json()
            assert body["ready"] is True and body["status"] == "ok"
            for path in ("/healthz", "/readyz", "/metrics"):  # not on the public port
                async with http.get(f"{b.url}{path}") as response:
                    assert response.status == 404, path
            assert body["checks"]["database"]["detail"] == "postgresql"
            assert body["checks"]["shared_state"]["detail"] == "redis"
            async with http.post(f"{b.url}/telegram/webhook", json={"update_id": 1}) as response:
                assert response.status == 401  # no secret token
            async with http.post(
                f"{b.url}/telegram/webhook",
                json={"update_id": 1},
                headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"},
            ) as response:
                assert response.status == 401


async def test_both_processes_serve_and_duplicates_are_answered_once(
    cluster: tuple[BotApiServer, list[Bot]],
) -> None:
    api, bots = cluster
    for n in range(4):
        chat = 9610 + n
        before = max(api.messages, default=0)
        await api.send_text("什麼是顧客感知價值?", chat_id=chat, user_id=chat)
        (reply,) = await _replies(api, chat, before)
        assert "[1]" in reply.plain
    served = {target for _uid, target, status in api.deliveries if status == 200}
    assert served == {f"{b.url}/telegram/webhook" for b in bots}

    api.duplicate_next()  # the two copies go to different processes
    before = max(api.messages, default=0)
    await api.send_text("What is brand equity?", chat_id=9620, user_id=9620)
    await _replies(api, 9620, before)
    await asyncio.sleep(1.5)
    assert len(api.bot_messages(9620)) == 1
    async with aiohttp.ClientSession() as http:
        counts = []
        for b in bots:
            async with http.get(f"{b.ops_url}/metrics") as response:
                metrics = await response.text()
            counts.append(metrics)
    assert any("cvm_updates_duplicate_total 1.0" in m for m in counts)


async def test_a_quiz_survives_losing_the_process_that_runs_it(
    cluster: tuple[BotApiServer, list[Bot]], shared_services: dict[str, str]
) -> None:
    api, bots = cluster
    before = max(api.messages, default=0)
    await api.send_text(f"/allowgroup {GROUP}", chat_id=ADMIN, user_id=ADMIN)
    await _replies(api, ADMIN, before)
    before = max(api.messages, default=0)
    await api.send_text("/quiz", chat_id=GROUP, user_id=ADMIN, chat_type="supergroup",
                        language_code="zh-hant")  # fmt: skip
    (setup,) = await _replies(api, GROUP, before)
    await api.press(setup, "5 Q", user_id=ADMIN, language_code="zh-hant")
    await api.wait_for(lambda s: "✓ 5 Q" in [b["text"] for b in setup.buttons()])
    await api.press(setup, "▶️ 開始", user_id=ADMIN, language_code="zh-hant")

    engine = create_engine(shared_services["DATABASE_URL"])
    killed: Bot | None = None
    for n in range(5):
        polls = await api.wait_for(
            lambda s, n=n: len(s.polls_in(GROUP)) > n and s.polls_in(GROUP), timeout=60
        )
        poll = polls[n]
        if n == 2:  # the process running the quiz dies while the question is open
            with engine.connect() as conn:
                owner = conn.execute(
                    text("SELECT owner FROM quiz_session WHERE chat_id = :c"), {"c": GROUP}
                ).scalar_one()
            killed = next(b for b in bots if b.name == owner)
            killed.proc.send_signal(signal.SIGKILL)
            killed.proc.wait(timeout=10)
        await api.answer_poll(poll, user_id=ANN, option=poll.correct_option or 0)
        await api.answer_poll(poll, user_id=BEN, option=((poll.correct_option or 0) + 1) % 4)
        if n == 0:  # nobody is present yet: the trainer moves the first question on
            await api.send_text("/quiz skip", chat_id=GROUP, user_id=ADMIN, chat_type="supergroup")

    final = await api.wait_for(
        lambda s: next((m for m in s.bot_messages(GROUP) if "測驗結束" in m.plain), None),
        timeout=90,
    )
    board = [line for line in final.plain.splitlines() if "user96" in line]
    assert board[0].startswith("🥇 user9601") and "答對 5/5" in board[0]
    assert board[1].startswith("🥈 user9602") and "0 分" in board[1]
    assert len(api.polls_in(GROUP)) == 5  # no question asked twice, none lost
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT a.user_id, sum(CASE WHEN a.correct THEN 1 ELSE 0 END), count(*) "
                "FROM quiz_answer a JOIN quiz_round r ON r.id = a.round_id "
                "JOIN quiz_session s ON s.id = r.session_id WHERE s.chat_id = :c "
                "GROUP BY a.user_id ORDER BY a.user_id"
            ),
            {"c": GROUP},
        ).all()
        session = conn.execute(
            text("SELECT state, owner FROM quiz_session WHERE chat_id = :c"), {"c": GROUP}
        ).one()
    engine.dispose()
    assert [tuple(r) for r in rows] == [(ANN, 5, 5), (BEN, 0, 5)]
    assert killed is not None
    survivor = next(b for b in bots if b is not killed)
    assert session == ("finished", survivor.name)
    assert "adopted 1 session(s)" in survivor.log.read_text()
    assert "Traceback" not in survivor.log.read_text()
