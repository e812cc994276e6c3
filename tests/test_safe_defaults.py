"""Secure by default (issue 14): the code's defaults are the production-safe ones, and
`cvm run` refuses, with one line naming the setting, to start unsafe."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from bot.config import Settings

ROOT = Path(__file__).resolve().parents[1]
GOOD_TOKEN = "123456789:AAE2E-safe-defaults-token-abcdefghijk"


def _run(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    values = {k: v for k, v in os.environ.items() if not k.isupper() or k in ("PATH", "HOME")}
    values.update(DATA_DIR=str(tmp_path / "data"), **env)
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "run"], env=values, capture_output=True, text=True,
        timeout=120, stdin=subprocess.DEVNULL,
    )  # fmt: skip


def test_webhook_mode_without_token_refuses_and_writes_nothing(tmp_path: Path) -> None:
    """RUN_MODE=webhook with an empty token opened the terminal chat and wrote the demo
    company into the configured DATABASE_URL."""
    database = tmp_path / "production.db"
    done = _run(
        tmp_path, RUN_MODE="webhook", TELEGRAM_BOT_TOKEN="", DATABASE_URL=f"sqlite:///{database}"
    )
    assert done.returncode == 2
    assert "TELEGRAM_BOT_TOKEN" in done.stderr and "Traceback" not in done.stderr
    assert not database.exists()


def test_terminal_chat_never_runs_on_a_configured_database(tmp_path: Path) -> None:
    database = tmp_path / "production.db"
    done = _run(tmp_path, DATABASE_URL=f"sqlite:///{database}")
    assert done.returncode == 2 and "DATABASE_URL" in done.stderr
    assert not database.exists()


def test_webhook_without_a_long_secret_refuses(tmp_path: Path) -> None:
    """Webhook mode started without WEBHOOK_SECRET, and a forged /grant was obeyed."""
    for secret in ("", "short-secret"):
        done = _run(
            tmp_path, RUN_MODE="webhook", TELEGRAM_BOT_TOKEN=GOOD_TOKEN, WEBHOOK_SECRET=secret
        )
        assert done.returncode == 2 and "WEBHOOK_SECRET" in done.stderr, done.stderr


def test_malformed_token_refuses(tmp_path: Path) -> None:
    done = _run(tmp_path, TELEGRAM_BOT_TOKEN="not-a-token")
    assert done.returncode == 2 and "TELEGRAM_BOT_TOKEN" in done.stderr
    assert "not-a-token" not in done.stderr  # a secret is never echoed


def test_defaults_are_the_safe_ones_and_documented() -> None:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.access_policy == "allowlist" and settings.log_format == "json"
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    assert re.search(r"^ACCESS_POLICY=allowlist$", example, re.M)
    assert re.search(r"^LOG_FORMAT=json$", example, re.M)


def test_proxy_exposes_only_the_webhook() -> None:
    conf = (ROOT / "deploy" / "nginx.conf").read_text(encoding="utf-8")
    proxied = re.findall(r"location\s+(=\s+)?(\S+)\s*\{[^}]*proxy_pass", conf)
    assert [path for _, path in proxied] == ["/telegram/webhook"]
