"""The shipped ranker and gate come from the labelled data: retraining gives them back.

The issue's bar is that a reviewer regenerates the weights and gets the same ones. On main
before this test they differed by 1.48 (a feature had changed since the last training), and
two trainings on two fresh index builds of one machine differed by 0.02, because the fits
stopped early on a nearly flat objective.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_retraining_from_the_data_gives_the_shipped_weights(index_dir: Path) -> None:
    done = subprocess.run(
        [sys.executable, "bench/train_ranker.py", "--check", "--index-dir", str(index_dir)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "the shipped weights match the data" in done.stdout
