"""A throwaway PostgreSQL server for tests: initdb in a temp dir, a free port, then stop.

CI installs PostgreSQL from Debian and sets CVM_REQUIRE_POSTGRES=1, so there a
missing server is a failure; on a developer machine without PostgreSQL the
tests that need it are skipped with the reason shown.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest


def _bin_dir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def free_port() -> int:
    """A port nothing listens on now, for a server a test starts."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class PostgresServer:
    """A running throwaway server; `stop` and `start` simulate an outage."""

    url: str
    run: Callable[..., Any]

    def stop(self) -> None:
        self.run("-m", "fast", "stop")

    def start(self) -> None:
        self.run("-w", "start")


@contextmanager
def postgres_server(workdir: Path) -> Iterator[str]:
    with postgres_control(workdir) as server:
        yield server.url


@contextmanager
def postgres_control(workdir: Path) -> Iterator[PostgresServer]:
    """Yield a fresh database's server; PostgreSQL refuses to run as root,
    so as root the server runs as the `postgres` system user."""
    bin_dir = _bin_dir()
    if bin_dir is None:
        if os.environ.get("CVM_REQUIRE_POSTGRES") == "1":
            pytest.fail("PostgreSQL is required here (CVM_REQUIRE_POSTGRES=1) but not installed")
        pytest.skip("PostgreSQL is not installed (CI installs it: see .ci/run)")
    as_user: list[str] = []
    workdir.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        as_user = ["runuser", "-u", "postgres", "--"]
        entry = pwd.getpwnam("postgres")
        for path in (workdir, *workdir.parents):
            if path == Path("/"):
                break
            path.chmod(path.stat().st_mode | 0o711)
        os.chown(workdir, entry.pw_uid, entry.pw_gid)
    data = workdir / "pgdata"
    port = free_port()
    run = {"check": True, "capture_output": True, "text": True, "timeout": 120}
    subprocess.run(
        [*as_user, str(bin_dir / "initdb"), "-D", str(data), "-U", "cvm", "--auth=trust",
         "-E", "UTF8", "--locale=C.UTF-8"],
        **run,
    )  # fmt: skip
    options = f"-p {port} -k {workdir} -c listen_addresses=127.0.0.1 -c fsync=off"

    def pg_ctl(*args: str) -> None:
        subprocess.run(
            [*as_user, str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options,
             "-l", str(workdir / "server.log"), *args],
            **run,
        )  # fmt: skip

    pg_ctl("-w", "start")
    try:
        subprocess.run(
            [*as_user, str(bin_dir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "cvm",
             "cvm"],
            **run,
        )  # fmt: skip
        yield PostgresServer(f"postgresql+psycopg://cvm@127.0.0.1:{port}/cvm", pg_ctl)
    finally:
        subprocess.run(
            [*as_user, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"],
            capture_output=True, timeout=60, check=False,
        )  # fmt: skip
