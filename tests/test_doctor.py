"""`cvm doctor` (issue 15): one line per check and a fix for each failure, exit 1 on any."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from bot.storage.migrate import upgrade
from bot.storage.repository import make_engine
from tests.postgres import free_port

GOOD_TOKEN = "123456789:AAexample-token-abcdefghijklmnopqrst"


def _doctor(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "doctor", *args],
        env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def _env(tmp_path: Path, index_dir: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("TELEGRAM_BOT_TOKEN", "DATABASE_URL", "REDIS_URL", "CHROMA_URL", "RUN_MODE")
    }
    env.update(DATA_DIR=str(tmp_path), INDEX_DIR=str(index_dir), **extra)
    return env


def test_a_good_configuration_passes(tmp_path: Path, index_dir: Path) -> None:
    done = _doctor(_env(tmp_path, index_dir))
    assert done.returncode == 0, done.stdout + done.stderr
    names = [line.split(":")[0] for line in done.stdout.splitlines()]
    assert names == [
        "ok   settings",
        "ok   database",
        "ok   knowledge index",
        "ok   chart font",
        "ok   quiz bank",
    ]


def test_each_bad_setting_is_named_with_its_fix(tmp_path: Path) -> None:
    closed = free_port()
    env = _env(
        tmp_path,
        tmp_path / "no-index",
        RUN_MODE="webhook",
        TELEGRAM_BOT_TOKEN=GOOD_TOKEN,
        WEBHOOK_SECRET="short",
        DATABASE_URL=f"postgresql+psycopg://cvm:pw@127.0.0.1:{closed}/cvm",
        REDIS_URL=f"redis://127.0.0.1:{closed}/0",
        CHROMA_URL=f"http://127.0.0.1:{closed}",
    )
    done = _doctor(env)
    assert done.returncode == 1
    out = done.stdout
    assert "FAIL settings: webhook mode: RUN_MODE=webhook needs WEBHOOK_SECRET" in out
    assert "FAIL database: cannot connect (OperationalError)" in out
    assert "FAIL redis: cannot ping" in out and "FAIL chroma: no heartbeat" in out
    assert "FAIL knowledge index: not built" in out and "fix: cvm index" in out
    assert out.count("fix: ") == 5
    assert "pw@" not in out and GOOD_TOKEN not in out  # secrets never echoed
    report = json.loads(_doctor(env, "--json").stdout)
    assert report["ok"] is False
    assert {c["name"] for c in report["checks"] if not c["ok"]} == {
        "settings", "database", "redis", "chroma", "knowledge index",
    }  # fmt: skip

    webhook = _env(
        tmp_path,
        tmp_path / "no-index",
        TELEGRAM_BOT_TOKEN=GOOD_TOKEN,
        WEBHOOK_SECRET="s" * 40,
        WEBHOOK_BASE_URL="http://plain.example.com",
    )
    plain = _doctor(webhook, "--mode", "webhook").stdout
    assert "FAIL settings: webhook mode: WEBHOOK_BASE_URL is http://plain.example.com" in plain


def test_an_old_schema_names_cvm_db_upgrade(tmp_path: Path, index_dir: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'cvm.db'}", migrate=False)
    upgrade(engine, "0004")
    engine.dispose()
    done = _doctor(_env(tmp_path, index_dir))
    assert done.returncode == 1
    assert "FAIL database: the database schema is at revision 0004" in done.stdout
    assert "fix: cvm db upgrade (after a backup)" in done.stdout


def test_a_webhook_secret_telegram_refuses_is_named(tmp_path: Path) -> None:
    """Issue 24, item 7: a secret with characters Telegram refuses (it allows A-Z, a-z,
    0-9, _ and -, 1 to 256 of them) passed the doctor; setWebhook then failed at start."""
    for secret in ("s" * 36 + "!@#$", "geheimnis-mit-ümlaut-" + "x" * 20, "s" * 257):
        env = _env(
            tmp_path,
            tmp_path / "no-index",
            TELEGRAM_BOT_TOKEN=GOOD_TOKEN,
            WEBHOOK_SECRET=secret,
            WEBHOOK_BASE_URL="https://cvm.example.com",
        )
        done = _doctor(env, "--mode", "webhook", "--json")
        (settings,) = [c for c in json.loads(done.stdout)["checks"] if c["name"] == "settings"]
        assert not settings["ok"], secret
        assert "WEBHOOK_SECRET" in settings["detail"] and "A-Z" in settings["fix"]
        assert secret not in done.stdout  # a secret is never echoed
