"""Secure by default (issue 14): the code's defaults are the production-safe ones, and
`cvm run` refuses, with one line naming the setting, to start unsafe."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

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
    conf = (ROOT / "deploy" / "nginx.conf.template").read_text(encoding="utf-8")
    proxied = re.findall(r"location\s+(=\s+)?(\S+)\s*\{[^}]*proxy_pass", conf)
    assert [path for _, path in proxied] == ["${WEBHOOK_PATH}"]


def test_servers_listen_on_loopback_unless_told_and_ops_refuse_the_webhook_port() -> None:
    """Issue 24, item 7: HTTP_HOST defaulted to 0.0.0.0, and the operations endpoints
    shared the public webhook port."""
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.http_host == "127.0.0.1" and settings.ops_host == "127.0.0.1"
    webhook = Settings(  # type: ignore[call-arg]
        _env_file=None, run_mode="webhook", telegram_bot_token=GOOD_TOKEN,
        webhook_secret="s" * 40, http_port=8080,
    )  # fmt: skip
    assert webhook.resolved_ops_port not in (None, 8080) and not webhook.refusals()
    same = webhook.model_copy(update={"ops_port": 8080})
    assert any("OPS_PORT" in problem for problem in same.refusals())
    polling = Settings(_env_file=None)  # type: ignore[call-arg]
    assert polling.resolved_ops_port is None  # polling serves them only when asked


def test_proxy_path_follows_webhook_path_from_one_source() -> None:
    """Issue 24, item 7: nginx hard-coded /telegram/webhook although WEBHOOK_PATH is a
    setting. The proxy's config is a template nginx renders at start (its image's
    /etc/nginx/templates), fed by the same WEBHOOK_PATH the compose file gives the bot."""
    import yaml

    compose = yaml.safe_load((ROOT / "deploy" / "docker-compose.yml").read_text())
    bot, proxy = compose["services"]["bot"], compose["services"]["proxy"]
    assert bot["environment"]["WEBHOOK_PATH"] == proxy["environment"]["WEBHOOK_PATH"]
    default = Settings.model_fields["webhook_path"].default
    assert bot["environment"]["WEBHOOK_PATH"] == f"${{WEBHOOK_PATH:-{default}}}"
    assert any("nginx.conf.template:/etc/nginx/templates/" in v for v in proxy["volumes"])
    assert proxy["environment"]["NGINX_ENVSUBST_FILTER"] == "^WEBHOOK_PATH$$"  # $host stays
    assert not (ROOT / "deploy" / "nginx.conf").exists()  # one config, not two
    for bad in ("telegram/webhook", "/a b", "/x;y", "/${HOME}"):  # would break the config
        with pytest.raises(ValidationError, match="webhook_path"):
            Settings(_env_file=None, webhook_path=bad)  # type: ignore[call-arg]
