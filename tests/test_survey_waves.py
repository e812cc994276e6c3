"""Survey waves (issue 25, reproduction 4): a second file of the same instrument is a wave
of its own, never silently merged into the first or dropped from the report; reports per
wave and the trend between waves; the schema change up and down."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from bot.storage.downgrade_loss import downgrade_losses
from bot.storage.migrate import downgrade, head_revision, upgrade
from bot.storage.repository import make_engine
from bot.surveys.csv_import import import_survey
from bot.surveys.service import SurveyService
from bot.surveys.store import RESPONSE, SurveyStore
from value_engine.survey.models import Instrument, SurveyError

THREE = "respondent_id,outcome,value:quality,brand:awareness,retention:loyalty\n"
FOUR = "respondent_id,outcome,value:quality,brand:awareness,retention:loyalty,brand:ethics\n"
DV = "respondent_id,value:product,value:service,cost:monetary,cost:time\n"


class _NoCitations:
    def find(self, doc_prefix: str, quote: str) -> None:
        return None


def _rows(n: int, start: int = 0, extra: bool = False) -> str:
    return "".join(
        f"R{i},{1 + (i * 7) % 5},{1 + i % 5},{1 + (i * 3) % 5},{1 + (i * 2) % 5}"
        + (f",{1 + (i * 4) % 5}" if extra else "")
        + "\n"
        for i in range(start, start + n)
    )


@pytest.fixture()
def engine(tmp_path: Path) -> Engine:
    return make_engine(f"sqlite:///{tmp_path / 'w.db'}")


def _service(engine: Engine) -> SurveyService:
    return SurveyService(SurveyStore(engine), _NoCitations())


def _stored(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(RESPONSE)).scalar_one())


def test_a_file_with_other_items_is_a_wave_of_its_own_and_nothing_is_dropped(
    engine: Engine,
) -> None:
    """Reproduction 4: 60 imported, the report said 30 and nothing else."""
    day = date(2026, 5, 1)
    first = import_survey(engine, (THREE + _rows(30)).encode(), today=day)
    second = import_survey(engine, (FOUR + _rows(30, 30, extra=True)).encode(), today=day)
    assert first.committed and second.committed and _stored(engine) == 60
    assert (first.wave, second.wave) == ("2026-05-01", "2026-05-01 (2)")
    assert second.wave_of_its_own == "2026-05-01"
    service = _service(engine)
    info = service.available()[Instrument.EQUITY]
    assert [(w.name, w.respondents, len(w.items)) for w in info.waves] == [
        ("2026-05-01", 30, 3),
        ("2026-05-01 (2)", 30, 4),
    ]
    latest = service.result(Instrument.EQUITY)
    assert latest.wave == "2026-05-01 (2)" and latest.equity is not None
    assert latest.equity.n == 30 and len(latest.equity.drivers) == 4
    earlier = service.result(Instrument.EQUITY, wave="2026-05-01")
    assert earlier.equity is not None and earlier.equity.n == 30
    assert len(earlier.equity.drivers) == 3
    assert [(w.wave, w.n) for w in latest.waves] == [("2026-05-01", 30), ("2026-05-01 (2)", 30)]
    assert sum(w.n for w in latest.waves) == _stored(engine)
    with pytest.raises(SurveyError) as missing:
        service.result(Instrument.EQUITY, wave="2025-Q4")
    assert missing.value.code == "unknown_wave"


def test_a_named_wave_with_other_items_is_refused_and_nothing_is_written(engine: Engine) -> None:
    assert import_survey(engine, (THREE + _rows(30)).encode(), wave="Q1").committed
    refused = import_survey(engine, (FOUR + _rows(30, 30, extra=True)).encode(), wave="Q1")
    assert not refused.committed
    assert [(e.line, e.code, e.value) for e in refused.errors] == [(1, "wave_items_differ", "Q1")]
    assert _stored(engine) == 30
    assert [w.name for w in _service(engine).available()[Instrument.EQUITY].waves] == ["Q1"]
    bad = import_survey(engine, (THREE + _rows(3)).encode(), wave="\x07")
    assert [e.code for e in bad.errors] == ["bad_wave"]


def test_the_same_file_again_later_changes_nothing_and_a_new_round_is_a_trend(
    engine: Engine,
) -> None:
    low = "".join(f"D{i},{3 + i % 3},3,3,3\n" for i in range(40))  # Vc 0, 0.5 or 1
    high = "".join(f"D{i},{3 + i % 3},5,2,2\n" for i in range(40))  # Vc 2, 2.5 or 3
    assert import_survey(engine, (DV + low).encode(), today=date(2026, 3, 1)).inserted == 40
    again = import_survey(engine, (DV + low).encode(), today=date(2026, 4, 1))
    assert again.committed and again.wave == "2026-03-01" and again.inserted == 0
    assert again.skipped_count == 40 and _stored(engine) == 40
    # The same respondents answering a second round: a second wave, both kept.
    later = import_survey(engine, (DV + high).encode(), today=date(2026, 6, 1))
    assert later.wave == "2026-06-01" and later.inserted == 40 and _stored(engine) == 80
    result = _service(engine).result(Instrument.DELIVERED)
    assert result.wave == "2026-06-01" and result.delivered is not None
    assert result.delivered.overall.n == 40
    first, second = result.waves
    assert first.n == second.n == 40 and first.change is None
    assert first.mean == pytest.approx(39 / 80) and second.mean == pytest.approx(2 + 39 / 80)
    assert second.change == pytest.approx(2.0)
    assert second.p_value is not None and second.p_value < 0.001 and second.significant
    # A customer's own value is their latest wave's.
    assert _service(engine).result(Instrument.DELIVERED, wave="2026-03-01").wave == "2026-03-01"


def test_the_migration_up_and_down_keeps_answers_and_counts_what_a_downgrade_drops(
    tmp_path: Path,
) -> None:
    path = tmp_path / "m.db"
    engine = make_engine(f"sqlite:///{path}", migrate=False)
    upgrade(engine, "0007")
    with sqlite3.connect(path) as db:
        db.execute(
            "INSERT INTO survey_instrument VALUES ('delivered-value', 5, "
            "'[\"product\", \"monetary\"]', NULL, 1, '2026-02-03 10:00:00')"
        )
        for i in range(3):
            db.execute(
                "INSERT INTO survey_response VALUES ('delivered-value', ?, NULL, NULL, NULL, "
                '\'{"r":[4,2],"w":[1,1],"c":[null,null]}\', ?)',
                (f"R{i}", f"2026-02-0{3 + i} 10:00:00"),
            )
    upgrade(engine)
    service = _service(engine)
    info = service.available()[Instrument.DELIVERED]
    assert [(w.name, w.respondents, w.items) for w in info.waves] == [
        ("2026-02-03", 3, ["product", "monetary"])
    ]
    result = service.result(Instrument.DELIVERED)
    assert result.delivered is not None and result.delivered.overall.n == 3
    # A second wave of two of them: the old schema can hold one answer per respondent.
    assert import_survey(
        engine, b"respondent_id,value:product,cost:monetary\nR0,5,1\nR1,5,2\n", wave="2026-06"
    ).committed
    losses = {(loss.table, loss.column): loss for loss in downgrade_losses(engine, "0007")}
    assert losses[("survey_wave", None)].rows == 2
    kept = losses[("survey_response", None)]
    assert kept.rows == 2 and "earlier survey waves" in kept.line()
    assert kept.line().startswith("  survey_response: 2 rows (")
    downgrade(engine, "0007")
    with sqlite3.connect(path) as db:
        rows = db.execute(
            "SELECT respondent_id, answers_json FROM survey_response ORDER BY respondent_id"
        ).fetchall()
    assert [r[0] for r in rows] == ["R0", "R1", "R2"]
    assert rows[0][1].startswith('{"r":[5.0,1.0]') and rows[2][1].startswith('{"r":[4,2]')
    upgrade(engine)
    assert head_revision() == "0008"
    assert [w.respondents for w in _service(engine).available()[Instrument.DELIVERED].waves] == [3]
    engine.dispose()


def test_cli_waves_and_the_formula_safe_csv_export(tmp_path: Path) -> None:
    import csv
    import json
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "TELEGRAM_BOT_TOKEN"}
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'cli.db'}",
        DATA_DIR=str(tmp_path / "data"),
        LOG_LEVEL="WARNING",
    )

    def cvm(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "bot.cli", *args],
            env=env, capture_output=True, text=True, timeout=300,
        )  # fmt: skip

    assert cvm("db", "upgrade").returncode == 0
    low = DV.replace("respondent_id,", "respondent_id,segment,") + "".join(
        f"D{i},=HYPERLINK(x),{3 + i % 3},3,3,3\n" for i in range(12)
    )
    high = low.replace(",3,3,3\n", ",5,2,2\n")
    first, second = tmp_path / "q1.csv", tmp_path / "q2.csv"
    first.write_text(low, encoding="utf-8")
    second.write_text(high, encoding="utf-8")
    done = cvm("import", "survey", str(first), "--wave", "2026-Q1")
    assert done.returncode == 0 and "Wave: 2026-Q1." in done.stdout, done.stdout + done.stderr
    assert "1–5" in done.stdout and "12 new respondents" in done.stdout
    imported = json.loads(
        cvm("import", "survey", str(second), "--wave", "2026-Q2", "--json").stdout
    )
    assert imported["wave"] == "2026-Q2" and imported["inserted"] == 12
    text = cvm("survey", "report")
    assert text.returncode == 0, text.stderr
    assert "wave 2026-Q2" in text.stdout and "2026-Q1: 12 respondents, mean Vc" in text.stdout
    assert "a real change" in text.stdout
    earlier = json.loads(cvm("survey", "report", "--wave", "2026-Q1", "--json").stdout)
    details = earlier["delivered_value_details"]
    assert details["wave"] == "2026-Q1" and [w["wave"] for w in details["waves"]] == [
        "2026-Q1",
        "2026-Q2",
    ]
    nowhere = cvm("survey", "report", "--wave", "2020")
    assert nowhere.returncode == 1 and "no survey wave “2020”" in nowhere.stderr
    assert "Traceback" not in nowhere.stderr
    out = tmp_path / "export"
    exported = cvm("survey", "report", "--csv", str(out))
    assert exported.returncode == 0, exported.stderr
    with (out / "delivered_value_respondents.csv").open(encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 12 and rows[0]["wave"] == "2026-Q2"
    assert rows[0]["segment"] == "'=HYPERLINK(x)"  # data, never a formula
    assert float(rows[0]["delivered_value"]) == pytest.approx(2.0)
    with (out / "survey_waves.csv").open(encoding="utf-8-sig") as handle:
        waves = list(csv.DictReader(handle))
    assert [(w["wave"], w["respondents"]) for w in waves] == [("2026-Q1", "12"), ("2026-Q2", "12")]
    assert (out / "delivered_value_components.csv").exists()


KANO_HEADER = "respondent_id,feature,functional,dysfunctional\n"
# functional / dysfunctional answers (1 like ... 5 dislike) giving each category
_PAIRS = {"A": (1, 3), "O": (1, 5), "M": (3, 5), "I": (3, 3)}


def _kano_wave(categories: dict[str, list[str]], prefix: str) -> bytes:
    rows = []
    for feature, answers in categories.items():
        for i, category in enumerate(answers):
            functional, dysfunctional = _PAIRS[category]
            rows.append(f"{prefix}{i},{feature},{functional},{dysfunctional}\n")
    return (KANO_HEADER + "".join(rows)).encode()


def test_a_kano_feature_whose_answers_moved_between_waves_is_told_apart_from_chance(
    engine: Engine,
) -> None:
    """Kano waves had no trend at all: a manager comparing two cards by eye would read
    a changed letter as a change. Per feature, the waves' answers are tested."""
    from bot.render.survey import survey_html
    from knowledge.models import Lang

    first = {"Delivery": ["A"] * 45 + ["I"] * 15, "Wrap": ["I"] * 40 + ["A"] * 20}
    second = {"Delivery": ["M"] * 45 + ["A"] * 15, "Wrap": ["I"] * 38 + ["A"] * 22}
    assert import_survey(engine, _kano_wave(first, "P"), wave="W1").committed
    assert import_survey(engine, _kano_wave(second, "Q"), wave="W2").committed
    result = _service(engine).result(Instrument.KANO)
    assert result.kano_since == "W1"
    changes = {c.feature: c for c in result.kano_changes}
    assert changes["Delivery"].categories == {"W1": "A", "W2": "M"}
    assert changes["Delivery"].differs and changes["Delivery"].p_value is not None
    assert changes["Delivery"].p_value < 0.001
    assert not changes["Wrap"].differs and changes["Wrap"].p_value is not None
    assert changes["Wrap"].p_value > 0.5
    card = survey_html(result, Lang.EN)
    assert "Since W1, per feature" in card
    assert "Delivery: A → M: changed (p &lt; 0.001)" in card
    assert "Wrap: I → I: no clear change" in card
    assert "沒有明顯變化" in survey_html(result, Lang.ZH_HANT)
    from bot.surveys.contract import as_json

    details = as_json(result)["kano_details"]
    assert details["previous_wave"] == "W1"
    moved = {c["feature"]: c for c in details["changes_since_previous_wave"]}
    assert moved["Delivery"]["changed"] and not moved["Wrap"]["changed"]
    assert moved["Delivery"]["categories"] == {"W1": "A", "W2": "M"}
    # the first wave has nothing to compare with
    first_wave = _service(engine).result(Instrument.KANO, wave="W1")
    assert first_wave.kano_changes == () and first_wave.kano_since is None
    assert "Since" not in survey_html(first_wave, Lang.EN)
