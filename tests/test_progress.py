"""Progress on long work (issue 15): a bar on a terminal, plain log lines elsewhere, and
the long steps (index build, imports, fits) report through the one helper."""

from __future__ import annotations

import io
import itertools
import logging
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot import progress as progress_module
from bot.customers.csv_import import import_customers
from bot.customers.demo import generate
from bot.customers.service import FIT_STEPS, ValueService
from bot.customers.store import CustomerStore
from bot.customers.transactions_import import import_transactions
from bot.progress import progress
from bot.storage.repository import make_engine


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_terminal_gets_a_bar_and_a_pipe_gets_plain_lines(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(progress_module, "QUIET_SECONDS", 0.0)
    screen = _Terminal()
    with progress("work", "items", screen) as report:
        for done in range(0, 101, 10):
            report(done, 100)
    assert "work" in screen.getvalue() and "100/100" in screen.getvalue()

    piped = io.StringIO()
    with (
        caplog.at_level(logging.INFO, logger="cvm.progress"),
        progress("work", "items", piped) as report,
    ):
        for done in range(0, 101):
            report(done, 100)
    lines = [r.getMessage() for r in caplog.records if r.name == "cvm.progress"]
    assert lines[0] == "work: 0/100 items (0%)"
    assert lines[-1] == "work: 100/100 items (100%)"
    assert 5 <= len(lines) <= 12  # every 10%, not every call
    assert piped.getvalue() == ""  # nothing written to the stream itself


def test_quick_work_shows_no_progress(caplog: pytest.LogCaptureFixture) -> None:
    with (
        caplog.at_level(logging.INFO, logger="cvm.progress"),
        progress("quick", "items", io.StringIO()) as report,
    ):
        for done in range(10):
            report(done, 10)
    assert not [r for r in caplog.records if r.name == "cvm.progress"]


def test_imports_and_fits_report_their_progress(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'cvm.db'}")
    company = generate(customers=12_000, seed=2)
    import_customers(engine, company.customers_csv)
    calls: list[tuple[int, int]] = []
    report = import_transactions(
        engine, company.transactions_csv, progress=lambda d, t: calls.append((d, t))
    )
    assert report.committed and report.inserted == company.transactions
    assert len(calls) >= 3
    assert all(a[0] <= b[0] for a, b in itertools.pairwise(calls))
    assert calls[-1][0] == calls[-1][1]  # written to the end

    class _NoCitations:
        def find(self, doc_prefix: str, quote: str) -> None:
            return None

    steps: list[tuple[int, int]] = []
    ValueService(CustomerStore(engine), _NoCitations()).ensure_fit(
        force=True, progress=lambda d, t: steps.append((d, t))
    )
    assert [d for d, _ in steps] == list(range(1, FIT_STEPS + 1))
    engine.dispose()


def test_the_index_build_shows_progress_as_plain_lines_off_a_terminal(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("TELEGRAM_BOT_TOKEN", "LOG_LEVEL")}
    env.update(DATA_DIR=str(tmp_path), INDEX_DIR=str(tmp_path / "index"))
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "index"],
        env=env, capture_output=True, text=True, timeout=600, check=True,
    )  # fmt: skip
    assert time.perf_counter() - started > 1
    lines = [line for line in done.stderr.splitlines() if "knowledge index:" in line]
    assert len(lines) >= 3, done.stderr
    assert re.search(r"knowledge index: (\d+)/\1 texts embedded \(100%\)$", lines[-1])
    assert "\r" not in done.stderr and "\x1b" not in done.stderr
    assert done.stdout.startswith("indexed ")
