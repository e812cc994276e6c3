"""Migrations on purpose (issue 14): `cvm db upgrade|current|history|downgrade`, and every
other command and the bot refuse a schema other than their own, naming the command
to run; only the terminal chat's own local database upgrades itself."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.storage.migrate import SchemaMismatch, current_revision, head_revision, upgrade
from bot.storage.repository import make_engine, open_database

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "123456:schema-test-token-abcdefghijklmnopq"


def _cvm(env: dict[str, str], *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        env=env, cwd=ROOT, input=stdin, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


@pytest.fixture()
def old_local(tmp_path: Path, index_dir: Path) -> dict[str, str]:
    """The default local SQLite database, left at revision 0003 by an older version."""
    engine = make_engine(f"sqlite:///{tmp_path / 'cvm.db'}", migrate=False)
    upgrade(engine, "0003")
    engine.dispose()
    env = {k: v for k, v in os.environ.items() if k not in ("TELEGRAM_BOT_TOKEN", "DATABASE_URL")}
    env.update(DATA_DIR=str(tmp_path), INDEX_DIR=str(index_dir), LOG_LEVEL="WARNING")
    return env


def test_commands_and_the_bot_refuse_an_older_schema_and_name_the_command(
    old_local: dict[str, str], tmp_path: Path
) -> None:
    users = _cvm(old_local, "users", "list")
    assert users.returncode == 2
    assert users.stderr.strip().splitlines() == [
        f"cvm users: the database schema is at revision 0003 and this version of cvm-bot "
        f"needs {head_revision()}: back up the database, then run `cvm db upgrade`"
    ]
    served = _cvm({**old_local, "TELEGRAM_BOT_TOKEN": TOKEN, "ADMIN_IDS": "1"}, "run")
    assert served.returncode == 2 and "run `cvm db upgrade`" in served.stderr
    assert "Traceback" not in served.stderr
    with sqlite3.connect(tmp_path / "cvm.db") as db:  # refused, so left exactly as it was
        assert db.execute("SELECT version_num FROM alembic_version").fetchone() == ("0003",)

    current = _cvm(old_local, "db", "current")
    assert current.stdout.strip() == (
        f"database: 0003; this version: {head_revision()} (run `cvm db upgrade`)"
    )
    history = _cvm(old_local, "db", "history").stdout.splitlines()
    revisions = [line.split()[0] for line in history]
    assert revisions == ["0001", "0002", "0003", "0004", "0005", "0006", "0007", "0008"]
    assert history[2].endswith("<- the database")
    upgraded = _cvm(old_local, "db", "upgrade")
    assert upgraded.stdout.strip() == f"database schema: 0003 -> {head_revision()}"
    assert _cvm(old_local, "users", "list").returncode == 0
    down = _cvm(old_local, "db", "downgrade", "0004")
    assert down.returncode == 0 and down.stdout.strip().endswith("-> 0004")
    assert _cvm(old_local, "db", "downgrade", "9").returncode == 2


def test_a_newer_schema_is_refused_with_the_way_back(old_local: dict[str, str]) -> None:
    assert _cvm(old_local, "db", "upgrade").returncode == 0
    with sqlite3.connect(Path(old_local["DATA_DIR"]) / "cvm.db") as db:
        db.execute("UPDATE alembic_version SET version_num = '0099'")
    refused = _cvm(old_local, "import", "customers", "nothing.csv")
    assert refused.returncode == 2
    assert "0099, newer than this version of cvm-bot knows" in refused.stderr
    assert f"`cvm db downgrade {head_revision()}`" in refused.stderr
    assert "newer than this version" in _cvm(old_local, "db", "current").stdout


def test_the_terminal_chat_upgrades_its_own_local_database(old_local: dict[str, str]) -> None:
    chat = _cvm(old_local, "run", "--lang", "en", stdin="/start\n")
    assert chat.returncode == 0, chat.stderr
    assert "Customer value" in chat.stdout or "customer value" in chat.stdout
    engine = make_engine(f"sqlite:///{old_local['DATA_DIR']}/cvm.db", migrate=False)
    assert current_revision(engine) == head_revision()
    engine.dispose()


def test_an_empty_database_gets_the_schema_and_an_old_one_is_not_touched(
    tmp_path: Path,
) -> None:
    fresh = open_database(f"sqlite:///{tmp_path / 'new.db'}")
    assert current_revision(fresh) == head_revision()
    fresh.dispose()
    old = make_engine(f"sqlite:///{tmp_path / 'old.db'}", migrate=False)
    upgrade(old, "0004")
    with pytest.raises(SchemaMismatch, match="revision 0004"):
        open_database(f"sqlite:///{tmp_path / 'old.db'}")
    with old.connect() as connection:
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar() == (
            "0004"
        )
    old.dispose()
