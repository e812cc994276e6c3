"""The deployment files agree with the code: no Docker engine runs here, so what can be
checked without one is checked (the no-container path runs for real in test_e2e_scale)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import yaml

from bot.config import Settings

ROOT = Path(__file__).resolve().parents[1]
FIELDS = {name.upper() for name in Settings.model_fields}
NOT_SETTINGS = {"CVM_DB_PASSWORD", "PATH", "PYTHONUNBUFFERED"}  # for the services, or Python


def _pins(lock: Path) -> dict[str, str]:
    return dict(re.findall(r"^([a-z0-9_.-]+)==([^ \\\n]+)", lock.read_text(), re.M))


def test_dockerfile_copies_what_exists_and_sets_real_settings() -> None:
    text = (ROOT / "deploy" / "Dockerfile").read_text()
    for line in re.findall(r"^COPY (?!--from)(\S+)", text, re.M):
        assert (ROOT / line).exists(), line
    runtime_env = re.findall(r"^ENV (.+?)\n(?!\s)", text, re.M | re.S)[-1]  # the final stage
    names = set(re.findall(r"([A-Z_]+)=", runtime_env))
    assert names - NOT_SETTINGS <= FIELDS and {"INDEX_DIR", "RUN_MODE"} <= names
    assert "USER cvm" in text and "cvm index" in text and "cjk_font" in text


def test_env_example_names_only_real_settings_and_loads() -> None:
    example = ROOT / ".env.example"
    names = set(re.findall(r"^#? ?([A-Z][A-Z_]+)=", example.read_text(), re.M))
    assert names - NOT_SETTINGS <= FIELDS, names - NOT_SETTINGS - FIELDS
    undocumented = {f for f in FIELDS if f not in names} - {"CORPUS_DIR", "TELEGRAM_API_URL"}
    assert not undocumented, f"settings missing from .env.example: {undocumented}"
    settings = Settings(_env_file=str(example))  # type: ignore[call-arg]
    assert settings.run_mode == "webhook" and settings.access_policy == "allowlist"
    assert settings.redis_url is not None and "change-me" not in repr(settings)


def test_compose_services_and_settings() -> None:
    compose = yaml.safe_load((ROOT / "deploy" / "docker-compose.yml").read_text())
    assert {"bot", "postgres", "redis", "proxy"} <= set(compose["services"])
    bot_env = compose["services"]["bot"]["environment"]
    assert set(bot_env) <= FIELDS
    assert bot_env["DATABASE_URL"].startswith("postgresql+psycopg://")


def test_runtime_lock_pins_the_same_versions_without_test_tools() -> None:
    runtime = _pins(ROOT / "deploy" / "requirements.lock")
    full = _pins(ROOT / "requirements.lock")
    assert runtime and all(full.get(name) == version for name, version in runtime.items())
    assert "pytest" not in runtime and "aiogram" in runtime and "redis" in runtime


def test_users_audit_lists_who_saw_which_customer(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "TELEGRAM_BOT_TOKEN"}
    env["DATA_DIR"] = str(tmp_path)
    from bot.customers.store import CustomerStore
    from bot.storage.repository import make_engine

    CustomerStore(make_engine(f"sqlite:///{tmp_path / 'cvm.db'}")).audit(42, "C-7", "breakdown")
    out = subprocess.run(
        [sys.executable, "-m", "bot.cli", "users", "audit"],
        env=env, capture_output=True, text=True, timeout=120, check=True,
    ).stdout  # fmt: skip
    assert out.split("\t")[1:] == ["42", "C-7", "breakdown\n"]
    refused = subprocess.run(
        [sys.executable, "-m", "bot.cli", "users", "grant", "5", "admin"],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert refused.returncode == 2  # admins come from ADMIN_IDS only
