"""The value commands as real processes: contracts other tools read, and exit codes."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

CDNOW = Path(__file__).parent / "data" / "cdnow_summary.csv"


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    values = {k: v for k, v in os.environ.items() if k != "TELEGRAM_BOT_TOKEN"}
    values.update(DATA_DIR=str(tmp_path_factory.mktemp("cli-value")), DEMO_CUSTOMERS="400")
    return values


@pytest.fixture(scope="module")
def summary_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """CDNOW in the documented summary format."""
    data = np.genfromtxt(CDNOW, delimiter=",", names=True)
    path = tmp_path_factory.mktemp("summary") / "cdnow.csv"
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["customer_id", "frequency", "recency", "T", "monetary_value"])
        for row in data:
            writer.writerow([int(row["ID"]), int(row["x"]), row["t_x"], row["T"], row["zbar"]])
    return path


def _cvm(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        env=env, capture_output=True, text=True, timeout=300, check=check,
    )  # fmt: skip


def test_fit_summary_json_contract(env: dict[str, str], summary_csv: Path) -> None:
    out = json.loads(_cvm(env, "value", "fit", "--summary", str(summary_csv), "--json").stdout)
    assert set(out) == {"bgnbd", "gamma_gamma", "quality"}
    assert {"r", "alpha", "a", "b", "p", "loglik", "kind", "converged", "at_bound"} == set(
        out["bgnbd"]
    )
    assert {"p", "q", "v", "loglik", "kind", "mean_spend"} <= set(out["gamma_gamma"])
    # CDNOW has plenty of dropout and repeat buyers: the classic models, trusted.
    assert out["bgnbd"]["kind"] == "bgnbd" and out["gamma_gamma"]["kind"] == "gamma_gamma"
    assert out["quality"]["notes"] == [] and out["quality"]["reliable"] is True
    assert f"{out['bgnbd']['r']:.3g}" == "0.243" and f"{out['bgnbd']['b']:.3g}" == "2.43"
    assert out["bgnbd"]["loglik"] == pytest.approx(-9582.4, abs=0.05)
    assert f"{out['gamma_gamma']['q']:.3g}" == "3.74"


def test_score_summary_writes_one_row_per_customer(
    env: dict[str, str], summary_csv: Path, tmp_path: Path
) -> None:
    out = tmp_path / "scores.csv"
    _cvm(env, "value", "score", "--summary", str(summary_csv), "--horizon", "52",
         "--discount-rate", "0.002", "--out", str(out))  # fmt: skip
    with out.open() as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 2357
    assert list(rows[0]) == [
        "customer_id",
        "expected_purchases",
        "p_alive",
        "expected_spend",
        "clv",
    ]
    first = {k: float(v) for k, v in rows[0].items()}
    assert first["customer_id"] == 1 and 0 < first["p_alive"] <= 1
    assert first["clv"] > 0 and first["expected_purchases"] > 0


def test_bad_summary_is_refused_politely(env: dict[str, str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("customer_id,frequency,recency\n1,2,3\n")
    result = _cvm(env, "value", "fit", "--summary", str(bad), "--json", check=False)
    assert result.returncode == 2 and "missing columns: T" in result.stderr
    assert "Traceback" not in result.stderr


def test_import_demo_fit_and_customer_breakdown(env: dict[str, str], tmp_path: Path) -> None:
    _cvm(env, "demo-data", "--out", str(tmp_path))
    assert (tmp_path / "customers.csv").exists() and (tmp_path / "transactions.csv").exists()
    again = json.loads(
        _cvm(env, "import", "transactions", str(tmp_path / "transactions.csv"), "--json").stdout
    )
    assert again["inserted"] == 0 and again["committed"] and again["errors"] == 0
    broken = tmp_path / "broken.csv"
    broken.write_text("customer_id,timestamp,amount\nC-1000,not a date,5\n", encoding="utf-8")
    result = _cvm(env, "import", "transactions", str(broken), "--json", check=False)
    report = json.loads(result.stdout)
    assert result.returncode == 1 and not report["committed"]
    assert report["error_rows"] == [{"line": 2, "code": "bad_date", "value": "not a date"}]

    fit = json.loads(_cvm(env, "value", "fit", "--calibration-end", "2026-06-30", "--json").stdout)
    assert fit["as_of"] == "2026-06-30" and fit["customers"] == 400
    holdout = fit["holdout"]  # the model's forecast for the quarter after the cut-off
    assert holdout["days"] == 91 and holdout["actual"] > 0
    assert holdout["predicted"] == pytest.approx(holdout["actual"], rel=0.35)
    assert holdout["by_frequency"][0]["frequency"] == "0"
    breakdown = json.loads(_cvm(env, "customer", "C-1042", "--json").stdout)
    assert breakdown["customer_id"] == "C-1042"
    assert {"clv", "p_alive", "realized_value", "tier", "segment"} <= set(breakdown["score"])
    assert all(r["citation"]["doc"] for r in breakdown["recommendations"])
    text = _cvm(env, "customer", "C-1042", "--lang", "zh-Hant").stdout
    assert "等級" in text
    missing = _cvm(env, "customer", "C-0", check=False)
    assert missing.returncode == 1 and "no customer" in missing.stderr
    # Issue 25: one key name for a respondent's delivered value in both JSON outputs.
    survey = json.loads(_cvm(env, "survey", "report", "--json").stdout)["delivered_value"]
    answered = survey["respondents"][0]
    mine = json.loads(_cvm(env, "customer", answered["customer_id"], "--json").stdout)
    assert mine["delivered_value"] == answered and "delivered" not in mine["delivered_value"]


def test_import_starts_without_scipy_or_pandas(env: dict[str, str], tmp_path: Path) -> None:
    """`cvm import --no-fit` only loads: SciPy (the value engine) and pandas (which pyarrow
    imports for any Python value it converts) each cost a third of a second of its start."""
    _cvm(env, "demo-data", "--out", str(tmp_path))
    fresh = {**env, "DATA_DIR": str(tmp_path / "data")}
    code = (
        "import sys; from bot.cli.main import main; rc = main(sys.argv[1:]); "
        "print(sorted(m for m in ('scipy', 'pandas') if m in sys.modules)); sys.exit(rc)"
    )
    for kind in ("customers", "transactions"):
        done = subprocess.run(
            [sys.executable, "-c", code, "import", kind, str(tmp_path / f"{kind}.csv"),
             "--no-fit", "--json"],
            env=fresh, capture_output=True, text=True, timeout=300, check=True,
        )  # fmt: skip
        report_line, modules_line = done.stdout.strip().splitlines()[-2:]
        assert json.loads(report_line)["inserted"] > 0
        assert modules_line == "[]", (kind, modules_line)


SUMMARY_HEADER = "customer_id,frequency,recency,T,monetary_value\n"
GOOD_ROWS = "".join(f"C-{i},{i % 4},{(i % 4) * 5},40,{20 + i}\n" for i in range(50))


@pytest.mark.parametrize(
    ("rows", "says"),
    [
        ("X-1,2,nan,40,20\n", "recency"),
        ("X-1,2,10,inf,20\n", "T"),
        ("X-1,2,10,40,nan\n", "monetary_value"),
        ("X-1,2,10,40,-5\n", "monetary_value"),
        ("C-3,1,5,40,20\n", "already on line"),
        ("X-1,2,50,40,20\n", "recency <= T"),
        ("X-1,0,5,40,20\n", "recency must be 0"),
        ("X-1,1.5,5,40,20\n", "whole number"),
    ],
)
def test_bad_summary_rows_get_exit_2_and_one_line(
    env: dict[str, str], tmp_path: Path, rows: str, says: str
) -> None:
    """Issue 14, item 7: NaN/inf ended in a traceback; NaN or negative spend and duplicate
    customers were accepted silently."""
    path = tmp_path / "summary.csv"
    path.write_text(SUMMARY_HEADER + GOOD_ROWS + rows)
    for command in ("fit", "score"):
        extra = ["--horizon", "52", "--discount-rate", "0.002", "--out", str(tmp_path / "o.csv")]
        done = _cvm(env, "value", command, "--summary", str(path),
                    *(extra if command == "score" else []), check=False)  # fmt: skip
        assert done.returncode == 2, (command, done.stderr)
        assert says in done.stderr and "line 52" in done.stderr
        assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_summary_header_with_spaces_is_read(env: dict[str, str], tmp_path: Path) -> None:
    path = tmp_path / "spaced.csv"
    path.write_text(SUMMARY_HEADER.replace(",", ", ") + GOOD_ROWS)
    done = _cvm(env, "value", "fit", "--summary", str(path), "--json", check=False)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--summary", "/no/such/file.csv"], "cannot read"),
        (["--discount-rate", "-1.5"], "--discount-rate"),
        (["--out", "/no/such/folder/scores.csv"], "does not exist"),
    ],
)
def test_bad_score_arguments_fail_before_any_work(
    env: dict[str, str], summary_csv: Path, tmp_path: Path, args: list[str], says: str
) -> None:
    given = {"--summary": str(summary_csv), "--horizon": "52", "--discount-rate": "0.002",
             "--out": str(tmp_path / "o.csv")}  # fmt: skip
    given.update(zip(args[::2], args[1::2], strict=True))
    flat = [part for item in given.items() for part in item]
    done = _cvm(env, "value", "score", *flat, check=False)
    assert done.returncode == 2 and says in done.stderr and "Traceback" not in done.stderr
