"""Issue 24, section 4: deploy/backup.sh never puts the database password on a command
line (where `ps` shows it to every user); pg_dump gets it from a private password file.

A stand-in pg_dump (PG_BIN) records its arguments and the password file it was given; the
real backup and restore against a throwaway PostgreSQL are in test_postgres.py."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FAKE_PG_DUMP = """#!/usr/bin/env bash
printf '%s\\n' "$@" > "$RECORD.argv"
cp "$PGPASSFILE" "$RECORD.passfile"
stat -c %a "$PGPASSFILE" > "$RECORD.mode"
echo "$PGPASSFILE" > "$RECORD.path"
for arg in "$@"; do [[ $arg == --file=* ]] && echo dump > "${arg#--file=}"; done
exit 0
"""


@pytest.mark.parametrize(
    ("given", "password", "in_file"),
    [
        ("s3cret", "s3cret", "s3cret"),
        ("p%40ss%3Aw%2Fd", "p@ss:w/d", "p@ss\\:w/d"),  # URL escapes; ':' escaped for libpq
        ("back\\slash", "back\\slash", "back\\\\slash"),
    ],
)
def test_backup_passes_the_password_in_a_private_file_not_argv(
    tmp_path: Path, given: str, password: str, in_file: str
) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "pg_dump"
    fake.write_text(FAKE_PG_DUMP)
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    record = tmp_path / "record"
    env = {
        **os.environ,
        "PG_BIN": str(bin_dir),
        "RECORD": str(record),
        "DATABASE_URL": f"postgresql+psycopg://cvm:{given}@db.example:5432/cvm?sslmode=require",
    }
    env.pop("PGPASSWORD", None)
    done = subprocess.run(
        ["bash", str(ROOT / "deploy" / "backup.sh"), "backup", str(tmp_path / "x.dump")],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    argv = Path(f"{record}.argv").read_text()
    assert password not in argv and given not in argv
    assert "postgresql://cvm@db.example:5432/cvm?sslmode=require" in argv.splitlines()
    assert Path(f"{record}.passfile").read_text() == f"*:*:*:*:{in_file}\n"
    assert Path(f"{record}.mode").read_text().strip() == "600"
    assert not Path(Path(f"{record}.path").read_text().strip()).exists()  # removed on exit


def test_the_script_builds_no_command_line_from_the_raw_url() -> None:
    """No tool is called with DATABASE_URL itself (which holds the password)."""
    script = (ROOT / "deploy" / "backup.sh").read_text()
    assert '"$DATABASE_URL"' not in script and "$PGPASSWORD" not in script


@pytest.mark.postgres
def test_a_real_backup_with_a_password_in_the_url(tmp_path: Path) -> None:
    """The rewritten URL (user@host, the password in the file) reaches a real server."""
    from tests.postgres import postgres_server

    with postgres_server(tmp_path / "pg") as url:
        with_password = url.replace("cvm@", "cvm:p%40ss%3Aw@")
        dump = tmp_path / "cvm.dump"
        done = subprocess.run(
            ["bash", str(ROOT / "deploy" / "backup.sh"), "backup", str(dump)],
            env={**os.environ, "DATABASE_URL": with_password},
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert dump.stat().st_size > 0 and "backed up to" in done.stdout
