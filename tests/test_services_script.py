"""`deploy/local/services.sh start` is idempotent (issue 14, item 12): it failed when
PostgreSQL was already up, and then never started Redis."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.postgres import free_port

ROOT = Path(__file__).resolve().parents[1]
SERVICES = ROOT / "deploy" / "local" / "services.sh"


def test_start_twice_and_after_redis_went_down(tmp_path: Path) -> None:
    if not shutil.which("redis-server") or not list(Path("/usr/lib/postgresql").glob("*/bin")):
        if os.environ.get("CVM_REQUIRE_POSTGRES") == "1":
            pytest.fail("PostgreSQL and Redis are required here (CI installs them)")
        pytest.skip("PostgreSQL or Redis is not installed: deploy/local/services.sh install")
    redis_port = free_port()
    env = {
        **os.environ,
        "CVM_PG_PORT": str(free_port()),
        "CVM_REDIS_PORT": str(redis_port),
        "CVM_DB_PASSWORD": "s3cret-pw",
    }
    state = tmp_path / "services"

    def services(action: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["bash", str(SERVICES), action, str(state)],
            env=env, capture_output=True, text=True, timeout=180,
        )  # fmt: skip

    def redis_up() -> bool:
        ping = subprocess.run(
            ["redis-cli", "-p", str(redis_port), "-a", "s3cret-pw", "--no-auth-warning", "ping"],
            capture_output=True, text=True, timeout=10,
        )  # fmt: skip
        return "PONG" in ping.stdout

    try:
        first = services("start")
        assert first.returncode == 0, first.stderr
        again = services("start")  # PostgreSQL and Redis already up
        assert again.returncode == 0, again.stderr
        assert again.stdout == first.stdout
        subprocess.run(["kill", (state / "redis.pid").read_text().strip()], check=True)
        for _ in range(50):
            if not redis_up():
                break
        third = services("start")  # PostgreSQL up, Redis down: Redis starts
        assert third.returncode == 0, third.stderr
        assert redis_up()
    finally:
        services("stop")
