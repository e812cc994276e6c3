"""Every `--json` output is JSON a strict parser reads (issue 24, item 2): Python's json
module writes NaN and Infinity as bare words, which JSON does not have, and `cvm value fit
--json` and `cvm customer --json` printed `"loglik": NaN` for the average-spend model."""

from __future__ import annotations

import json
import logging
import math
import re
import sys
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from bot.cli.json_out import NOTE_KEY, to_json
from tests.test_value_limits import _random_dates

ROOT = Path(__file__).resolve().parents[1]


def _refuse(word: str) -> None:
    raise ValueError(f"not JSON: {word}")


def strict(text: str) -> Any:
    return json.loads(text, parse_constant=_refuse)


def test_numbers_that_are_not_finite_become_null_with_a_note() -> None:
    data = {
        "models": {"gamma_gamma": {"loglik": float("nan"), "q": 3.5}},
        "scores": [1.0, np.float64("inf"), np.float32("-inf"), np.int64(4)],
        "as_of": date(2026, 9, 30),
        "fine": True,
    }
    out = strict(to_json(data, default=str))
    assert out["models"]["gamma_gamma"] == {"loglik": None, "q": 3.5}
    assert out["scores"] == [1.0, None, None, 4] and out["as_of"] == "2026-09-30"
    assert out[NOTE_KEY] == {
        "models.gamma_gamma.loglik": "NaN",
        "scores[1]": "Infinity",
        "scores[2]": "-Infinity",
    }
    assert NOTE_KEY not in strict(to_json({"loglik": -12.5}))  # a note only when needed
    assert to_json({"name": "達金電子"}) == '{"name": "達金電子"}'


def test_no_cli_module_writes_json_another_way() -> None:
    """One place writes the CLI's JSON (bot/cli/json_out.py)."""
    for path in [*sorted((ROOT / "bot" / "cli").glob("*.py")), ROOT / "bot" / "doctor.py"]:
        if path.name == "json_out.py":
            continue
        assert not re.search(r"json\.dumps?\(", path.read_text()), path


@pytest.fixture()
def thin_company(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Path:
    """30 customers, fewer than 30 of them buying again: the average spend, whose
    log-likelihood is not a number."""
    from bot.cli.main import main

    root = logging.getLogger()  # main() configures logging: put it back afterwards
    monkeypatch.setattr(root, "handlers", list(root.handlers))
    monkeypatch.setattr(root, "level", root.level)
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    people, sales = tmp_path / "customers.csv", tmp_path / "transactions.csv"
    people.write_text("customer_id,name\n" + "".join(f"C{i:03d},Customer {i}\n" for i in range(30)))
    sales.write_bytes(_random_dates(3, customers=30)[0])
    assert main(["import", "customers", str(people), "--json", "--no-fit"]) == 0
    strict(capsys.readouterr().out)
    assert main(["import", "transactions", str(sales), "--json"]) == 0
    strict(capsys.readouterr().out)
    return sales


def test_value_fit_and_customer_json_parse_strictly(
    thin_company: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.cli.main import main

    assert main(["value", "fit", "--json"]) == 0
    fit = strict(capsys.readouterr().out)
    assert fit["gamma_gamma"]["kind"] == "average" and fit["gamma_gamma"]["loglik"] is None
    assert fit[NOTE_KEY] == {"gamma_gamma.loglik": "NaN"}
    assert main(["customer", "C001", "--json"]) == 0
    card = strict(capsys.readouterr().out)
    assert card["customer_id"] == "C001" and math.isfinite(card["score"]["clv"])
    assert card["models"]["gamma_gamma"]["loglik"] is None
    assert NOTE_KEY in card
    assert main(["value", "fit", "--source", str(thin_company), "--json"]) == 0
    source_fit = strict(capsys.readouterr().out)
    assert source_fit["gamma_gamma"]["loglik"] is None and NOTE_KEY in source_fit
