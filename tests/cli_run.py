"""Run `cvm` as an operator would, in its own process, on a data folder of the test's."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def run_cvm(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`cvm ARGS` with DATA_DIR under `tmp_path`, warnings only, no bot token and no
    outside database."""
    env = {k: v for k, v in os.environ.items() if k not in ("TELEGRAM_BOT_TOKEN", "DATABASE_URL")}
    env.update(DATA_DIR=str(tmp_path / "data"), LOG_LEVEL="WARNING")
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args], env=env, capture_output=True, text=True,
        timeout=300,
    )  # fmt: skip
