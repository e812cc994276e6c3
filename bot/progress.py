"""One progress display for every long step (index build, imports, fits).

A person at a terminal gets a tqdm bar on stderr; anywhere else (a pipe, a service's
log) the same progress arrives as plain log lines on the `cvm.progress` logger, at
most one per 10% or 10 s, so a slow start can be told from a hang without control
characters in a log file. The layers below take a plain `(done, total)` callback
and know nothing of either.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TextIO

from tqdm import tqdm

PROGRESS_LOGGER = "cvm.progress"
log = logging.getLogger(PROGRESS_LOGGER)

Report = Callable[[int, int], None]  # (done, total)


QUIET_SECONDS = 1.0  # work done sooner than this shows no progress at all


class _Lines:
    """Plain lines once the work has taken a second: every further 10%, every 10 s, and
    the end."""

    def __init__(self, label: str, unit: str) -> None:
        self.label, self.unit = label, unit
        self.started = time.monotonic()
        self.last_time = 0.0
        self.last_share = -1.0
        self.said = False

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        share = done / total if total else 1.0
        if not self.said and now - self.started < QUIET_SECONDS:
            return
        if done < total and share - self.last_share < 0.1 and now - self.last_time < 10:
            return
        self.said = True
        self.last_time, self.last_share = now, share
        elapsed = now - self.started
        left = f", about {elapsed / share - elapsed:.0f} s left" if 0 < share < 1 else ""
        log.info("%s: %d/%d %s (%.0f%%)%s", self.label, done, total, self.unit, share * 100, left)


class _Bar:
    def __init__(self, label: str, unit: str, stream: TextIO) -> None:
        self.label, self.unit, self.stream = label, unit, stream
        self.bar: Any = None

    def __call__(self, done: int, total: int) -> None:
        if self.bar is None:
            self.bar = tqdm(
                total=total,
                desc=self.label,
                unit=f" {self.unit}",
                file=self.stream,
                delay=QUIET_SECONDS,
            )
        self.bar.total = total
        self.bar.update(done - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


@contextmanager
def progress(label: str, unit: str, stream: TextIO | None = None) -> Iterator[Report]:
    """`with progress("index", "texts embedded") as report: work(report)`."""
    out = stream or sys.stderr
    if out.isatty():
        bar = _Bar(label, unit, out)
        try:
            yield bar
        finally:
            bar.close()
    else:
        yield _Lines(label, unit)
