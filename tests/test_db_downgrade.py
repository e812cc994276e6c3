"""Issue 24, section 4: a downgrade that drops data says what (tables, columns, rows),
tells how to back up, and runs only with --yes (or "yes" at a terminal); an unreachable
database is one line and exit 2, not a traceback."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from bot.customers.csv_import import import_customers
from bot.storage.migrate import current_revision, head_revision
from bot.storage.repository import make_engine
from tests.postgres import free_port

ROOT = Path(__file__).resolve().parents[1]


def _cvm(url: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "TELEGRAM_BOT_TOKEN"}
    env.update(DATABASE_URL=url, DATA_DIR=str(tmp_path / "data"), LOG_LEVEL="WARNING")
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        env=env, cwd=ROOT, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def test_a_downgrade_that_drops_rows_says_what_and_needs_yes(tmp_path: Path) -> None:
    path = tmp_path / "cvm.db"
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    import_customers(engine, b"id,name\nC-1,a\nC-2,b\nC-3,c\n")
    engine.dispose()

    refused = _cvm(url, tmp_path, "db", "downgrade", "0001")
    assert refused.returncode == 2, refused.stderr
    assert "Traceback" not in refused.stderr
    lines = refused.stderr.splitlines()
    assert "  table customer: 3 rows" in lines
    assert any(line.startswith("back up first:") and str(path) in line for line in lines)
    assert "--yes" in lines[-1]
    with sqlite3.connect(path) as db:  # refused: nothing changed
        assert db.execute("SELECT COUNT(*) FROM customer").fetchone() == (3,)
        assert db.execute("SELECT version_num FROM alembic_version").fetchone() == (
            head_revision(),
        )

    done = _cvm(url, tmp_path, "db", "downgrade", "0001", "--yes")
    assert done.returncode == 0, done.stderr
    assert "  table customer: 3 rows" in done.stderr.splitlines()
    assert done.stdout.strip() == f"database schema: {head_revision()} -> 0001"
    check = make_engine(url, migrate=False)
    assert current_revision(check) == "0001"
    check.dispose()


def test_a_downgrade_of_empty_tables_needs_no_yes(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cvm.db'}"
    make_engine(url).dispose()
    done = _cvm(url, tmp_path, "db", "downgrade", "0004")
    assert done.returncode == 0 and done.stdout.strip().endswith("-> 0004"), done.stderr
    upward = _cvm(url, tmp_path, "db", "downgrade", head_revision())  # not a downgrade
    assert upward.returncode == 2 and upward.stderr.count("\n") == 1, upward.stderr
    assert "Traceback" not in upward.stderr


def test_an_unreachable_database_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    url = f"postgresql+psycopg://cvm:secret@127.0.0.1:{free_port()}/cvm"
    for args in (("db", "current"), ("customer", "C-1042")):
        done = _cvm(url, tmp_path, *args)
        assert done.returncode == 2, (args, done.stderr)
        assert "Traceback" not in done.stderr and done.stderr.count("\n") == 1, done.stderr
        assert f"cvm {args[0]}: " in done.stderr and "secret" not in done.stderr
