"""Survey imports (issue 12): the layouts, the validation discipline of the transaction
import (every bad row reported, nothing written), encodings, idempotent re-import, and the
demo company's surveys recovering the truths they were drawn from."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from bot.customers.csv_import import import_customers
from bot.customers.demo import generate
from bot.customers.service import ValueService
from bot.customers.store import CustomerStore
from bot.customers.transactions_import import import_transactions
from bot.storage.repository import make_engine
from bot.surveys import demo as survey_demo
from bot.surveys.csv_import import detect_instrument, import_survey
from bot.surveys.service import SurveyService
from bot.surveys.store import RESPONSE, SurveyStore
from value_engine.survey.models import Instrument

CUSTOMERS = "customer_id,name,segment\nC-1,甲,retail\nC-2,乙,online\nC-3,丙,retail\n"


class _NoCitations:
    def find(self, doc_prefix: str, quote: str) -> None:
        return None


@pytest.fixture()
def engine(tmp_path: Path) -> Engine:
    engine = make_engine(f"sqlite:///{tmp_path / 's.db'}")
    assert import_customers(engine, CUSTOMERS.encode()).inserted == 3
    return engine


def _count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(RESPONSE)).scalar_one())


KANO = (
    "respondent_id,customer_id,feature,functional,dysfunctional\n"
    "R1,C-1,Fast delivery,1,5\n"
    "R1,C-1,Gift wrap,like,neutral\n"
    "R2,,Fast delivery,must-be,dislike\n"
    "R2,,Gift wrap,3,3\n"
)


def test_layouts_are_recognised_from_the_header() -> None:
    assert detect_instrument(KANO.encode()) is Instrument.KANO
    assert detect_instrument(b"respondent_id,value:product,cost:time\nR1,4,2\n") is (
        Instrument.DELIVERED
    )
    assert detect_instrument("受訪者編號,產品價值,時間成本\nR1,4,2\n".encode()) is (
        Instrument.DELIVERED
    )
    assert detect_instrument(b"respondent_id,outcome,value:quality,brand:awareness\n") is (
        Instrument.EQUITY
    )
    assert detect_instrument(b"customer_id,timestamp,amount\n") is None


def test_a_good_kano_file_imports_and_a_second_import_changes_nothing(engine: Engine) -> None:
    first = import_survey(engine, KANO.encode())
    assert first.committed and first.instrument == "kano"
    assert (first.rows, first.inserted, first.updated) == (4, 2, 0)
    again = import_survey(engine, KANO.encode())
    assert (again.inserted, again.updated, again.skipped_count) == (0, 0, 2)
    changed = import_survey(engine, KANO.replace("R2,,Gift wrap,3,3", "R2,,Gift wrap,1,3").encode())
    assert (changed.inserted, changed.updated) == (0, 1)
    service = SurveyService(SurveyStore(engine), _NoCitations())
    kano = service.result(Instrument.KANO).kano
    assert kano is not None and kano.respondents == 2
    wrap = next(f for f in kano.features if f.feature == "Gift wrap")
    assert wrap.counts["A"] == 2  # R1 like/neutral and R2's changed answer
    # The customer's segment comes from the customer record when the file gives none.
    with engine.connect() as conn:
        segment = conn.execute(
            select(RESPONSE.c.segment).where(RESPONSE.c.respondent_id == "R1")
        ).scalar_one()
    assert segment == "retail"


def test_every_bad_row_is_reported_and_nothing_is_written(engine: Engine) -> None:
    bad = (
        "respondent_id,customer_id,feature,functional,dysfunctional\n"
        "R1,C-1,Fast delivery,1,5\n"  # fine
        "R2,C-404,Fast delivery,1,5\n"  # unknown customer
        "R3,,Fast delivery,maybe,5\n"  # unknown Kano answer
        "R4,,Fast delivery,1,\n"  # missing answer
        "R1,C-1,Fast delivery,2,5\n"  # a second, different answer
        "R5,,,1,5\n"  # no feature
        "R1,C-2,Gift wrap,1,5\n"  # R1 was customer C-1
        "R1,C-1,Fast delivery,1,5\n"  # an exact duplicate: skipped, not an error
    )
    report = import_survey(engine, bad.encode())
    assert not report.committed and _count(engine) == 0
    assert [(e.line, e.code) for e in report.errors] == [
        (3, "unknown_customer"),
        (4, "bad_kano_answer"),
        (5, "missing_answer"),
        (6, "duplicate_answer"),
        (7, "missing_feature"),
        (8, "respondent_conflict"),
    ]


DELIVERED = (
    "respondent_id,customer_id,segment,value:product,value:service,cost:monetary,cost:time,"
    "weight:product,competitor:product,competitor:service,competitor:monetary,competitor:time\n"
    "R1,C-1,,5,4,2,4,3,4,4,2,2\n"
    "R2,,walk-in,4,4,3,3,1,,,,\n"
)


def test_delivered_value_rows_are_checked_against_the_scale(engine: Engine) -> None:
    bad = DELIVERED + "R3,,walk-in,6,4,2,2,1,,,,\nR4,,walk-in,4,,2,2,1,,,,\nR5,,x,4,4,2,2,0,,,,\n"
    report = import_survey(engine, bad.encode(), scale=5)
    assert [(e.line, e.code) for e in report.errors] == [
        (4, "out_of_scale"),
        (5, "missing_answer"),
        (6, "bad_weight"),
    ]
    report = import_survey(engine, (DELIVERED + "R3,,walk-in,6,4,2,2,1,,,,\n").encode(), scale=5)
    assert [(e.line, e.code) for e in report.errors] == [(4, "out_of_scale")]
    assert _count(engine) == 0
    # Without a declared scale, a 6 is refused (issue 25: it used to stretch the survey to
    # 1..7); declared, the survey is on 1..7.
    undeclared = import_survey(engine, (DELIVERED + "R3,,walk-in,6,4,2,2,1,,,,\n").encode())
    assert [(e.line, e.code) for e in undeclared.errors] == [(4, "scale_not_declared")]
    inferred = import_survey(engine, (DELIVERED + "R3,,walk-in,6,4,2,2,1,,,,\n").encode(), scale=7)
    assert inferred.committed and inferred.scale == 7 and not inferred.scale_inferred
    # The same survey on another scale later is refused, not mixed.
    other = import_survey(engine, DELIVERED.encode(), scale=10)
    assert [e.code for e in other.errors] == ["scale_changed"]


def test_delivered_value_from_a_gbk_file_with_chinese_headers(engine: Engine) -> None:
    text = (
        "受訪者編號,客戶編號,產品價值,服務價值,貨幣成本,時間成本,競爭者\n"
        "R1,C-1,5,4,2,4,對手公司\n"
        "R2,C-3,4,4,3,3,對手公司\n"
    )
    report = import_survey(engine, text.encode("gbk"))
    assert report.committed and report.encoding == "gbk" and report.inserted == 2
    service = SurveyService(SurveyStore(engine), _NoCitations())
    found = service.result(Instrument.DELIVERED).delivered
    assert found is not None
    assert found.overall.total_value == pytest.approx(4.25)
    assert found.overall.total_cost == pytest.approx(3.0)
    assert [r.weakest for r in found.respondents] == ["time", "monetary"]
    assert service.available()[Instrument.DELIVERED].competitor == "對手公司"
    mine = service.customer_value("C-3")
    assert mine is not None and mine[0].customer_id == "C-3" and mine[1] == 5
    assert service.customer_value("C-2") is None


def test_utf8_bom_equity_file_and_its_errors(engine: Engine) -> None:
    header = "respondent_id,customer_id,outcome,value:quality,brand:awareness,retention:loyalty\n"
    rows = (f"R{i},,{1 + i % 5},{1 + i % 4},{1 + i % 3},{1 + i % 2}\n" for i in range(30))
    good = header + "".join(rows)
    report = import_survey(engine, "\ufeff".encode() + good.encode())
    assert report.committed and report.instrument == "equity" and report.inserted == 30
    bad = header + "Q1,,,3,3,3\nQ2,C-1,,3,3,3\nQ3,,x,3,3,3\nQ4,,3,3,3,3\nQ4,,4,3,3,3\n"
    report = import_survey(engine, bad.encode())
    assert [(e.line, e.code) for e in report.errors] == [
        (2, "missing_outcome"),  # Q2 may leave it blank: a customer's outcome can be CLV
        (4, "bad_outcome"),
        (6, "duplicate_respondent"),
    ]
    assert _count(engine) == 30
    unknown = import_survey(engine, b"respondent_id,outcome,value:quality,colour\nR1,3,3,3\n")
    assert [e.code for e in unknown.errors] == ["unknown_columns"]


@pytest.fixture(scope="module")
def demo_engine(tmp_path_factory: pytest.TempPathFactory) -> tuple[Engine, SurveyService]:
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('demo') / 'd.db'}")
    company = generate(customers=3000)
    import_customers(engine, company.customers_csv)
    import_transactions(engine, company.transactions_csv)
    value = ValueService(CustomerStore(engine), _NoCitations())
    value.ensure_fit()
    service = SurveyService(SurveyStore(engine), _NoCitations(), value)
    for data in survey_demo.generate(company).files.values():
        assert service.import_file(data).error_count == 0
    return engine, service


def test_the_demo_kano_survey_recovers_every_planted_category(
    demo_engine: tuple[Engine, SurveyService],
) -> None:
    kano = demo_engine[1].result(Instrument.KANO).kano
    assert kano is not None
    assert {f.feature: f.category.value for f in kano.features} == survey_demo.KANO_FEATURES


def test_the_demo_equity_survey_recovers_the_planted_drivers(
    demo_engine: tuple[Engine, SurveyService],
) -> None:
    equity = demo_engine[1].result(Instrument.EQUITY).equity
    assert equity is not None and equity.n == 600
    planted = sorted(survey_demo.EQUITY_DRIVERS, key=lambda d: -d[2])
    assert {d.driver for d in equity.drivers[:3]} == {d[1] for d in planted[:3]}
    no_effect = next(d for d in equity.drivers if d.driver == "品牌道德")
    assert no_effect.share < 0.06
    assert [d.driver for d in equity.fix_first] == ["服務體驗"]
    assert sum(d.weight for d in equity.drivers) == pytest.approx(equity.r2, abs=1e-12)


def test_the_demo_delivered_value_predicts_retention_as_planted(
    demo_engine: tuple[Engine, SurveyService],
) -> None:
    found = demo_engine[1].result(Instrument.DELIVERED).delivered
    assert found is not None and found.overall.weakest == "time"
    link = found.link
    assert link is not None and link.n == 600
    assert link.rho_p_alive is not None and link.rho_p_alive > 0.3
    assert link.p_value_p_alive is not None and link.p_value_p_alive < 1e-6
    assert link.quintiles[0].at_risk > link.quintiles[-1].at_risk
    assert found.overall.map_position == "worse"  # the competitor gives the same for less


def _cvm(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args], env=env, capture_output=True, text=True,
        timeout=300,
    )  # fmt: skip


def test_cli_import_and_the_json_contracts(tmp_path: Path) -> None:
    env = {
        **{k: v for k, v in os.environ.items() if k != "TELEGRAM_BOT_TOKEN"},
        "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
        "DATA_DIR": str(tmp_path / "data"),
        "LOG_LEVEL": "WARNING",
    }
    assert _cvm(env, "db", "upgrade").returncode == 0
    assert _cvm(env, "survey", "report").returncode == 1  # nothing imported yet
    kano = tmp_path / "kano.csv"
    kano.write_text(KANO.replace("C-1", ""), encoding="utf-8")
    imported = _cvm(env, "import", "survey", str(kano), "--json")
    assert imported.returncode == 0, imported.stderr
    assert json.loads(imported.stdout)["instrument"] == "kano"
    report = _cvm(env, "survey", "report", "--instrument", "kano", "--json")
    assert report.returncode == 0, report.stderr
    data = json.loads(report.stdout)
    assert [f["feature"] for f in data["kano"]] == ["Fast delivery", "Gift wrap"]
    fast = data["kano"][0]
    assert set(fast) == {"feature", "category", "counts", "better", "worse", "level"}
    assert set(fast["counts"]) == {"A", "O", "M", "I", "R", "Q"}
    assert fast["category"] == "M" and fast["level"] == "Q1"  # tie O/M: must-be first

    equity = tmp_path / "equity.csv"
    rows = "".join(f"R{i},{1 + (i * 7) % 5},{1 + i % 5},{1 + (i * 3) % 5}\n" for i in range(40))
    equity.write_text("respondent_id,outcome,value:quality,brand:awareness\n" + rows)
    assert _cvm(env, "import", "survey", str(equity)).returncode == 0
    report = _cvm(env, "survey", "report", "--instrument", "equity", "--json")
    data = json.loads(report.stdout)["equity"]
    assert set(data) == {"r2", "n", "drivers"} and data["n"] == 40
    assert sum(d["weight"] for d in data["drivers"]) == pytest.approx(data["r2"], abs=1e-12)
    for d in data["drivers"]:
        assert set(d) == {"driver", "group", "weight", "share", "performance"}
        assert d["share"] == pytest.approx(d["weight"] / data["r2"])
    assert {d["group"] for d in data["drivers"]} == {"value", "brand"}
    text = _cvm(env, "survey", "report", "--instrument", "equity", "--lang", "zh-Hant")
    assert text.returncode == 0 and "顧客資產驅動因素" in text.stdout
    missing = _cvm(env, "survey", "report", "--instrument", "delivered-value")
    assert missing.returncode == 1 and "not been imported" in missing.stderr
    delivered = tmp_path / "dv.csv"
    delivered.write_text(DELIVERED.replace("R1,C-1,", "R1,,shop"), encoding="utf-8")
    assert _cvm(env, "import", "survey", str(delivered)).returncode == 0
    data = json.loads(_cvm(env, "survey", "report", "--json").stdout)
    assert {"kano", "equity", "delivered_value"} <= set(data)  # every imported survey
    dv = data["delivered_value"]
    assert dv["scale"] == [1, 5] and dv["retention"] is None  # nobody is a known customer
    assert [r["respondent_id"] for r in dv["respondents"]] == ["R1", "R2"]
    # R1: value (3 x 5 + 4) / 4 with product weighted 3, cost (2 + 4) / 2
    assert dv["respondents"][0]["delivered_value"] == pytest.approx(19 / 4 - 3.0)
    assert {s["segment"] for s in dv["segments"]} == {"shop", "walk-in"}
    bad = tmp_path / "bad.csv"
    bad.write_text("respondent_id,feature,functional,dysfunctional\nR9,X,1,7\n")
    refused = _cvm(env, "import", "survey", str(bad))
    assert refused.returncode == 1 and "line 2: unknown Kano answer" in refused.stdout


def test_every_survey_error_code_has_a_text_in_every_language() -> None:
    import re

    from bot.texts import _T

    root = Path(__file__).resolve().parents[1]
    source = (root / "bot/surveys/csv_import.py").read_text()
    rows = set(re.findall(r'report\.error\(\s*[^,]+,\s*"([a-z_]+)"', source))
    rows |= set(re.findall(r'"(missing_answer|bad_kano_answer|bad_rating)"', source))
    engine = (
        "".join(
            (root / f"value_engine/survey/{name}.py").read_text()
            for name in ("kano", "drivers", "delivered")
        )
        + (root / "bot/surveys/service.py").read_text()
    )
    analyses = set(re.findall(r'SurveyError\("([a-z_]+)"', engine))
    assert len(rows) > 20 and len(analyses) > 5
    for key in [f"err_{c}" for c in rows] + [f"survey_err_{c}" for c in analyses]:
        assert key in _T and len(_T[key]) == 3, key


# --- issue 25, part B: what an import refuses, and what it says --------------------------
EQUITY_HEADER = "respondent_id,outcome,value:quality,brand:awareness,retention:loyalty\n"


def _equity_rows(n: int, start: int = 0, extra: str = "") -> str:
    return "".join(
        f"R{i},{1 + (i * 7) % 5},{1 + i % 5},{1 + (i * 3) % 5},{1 + (i * 2) % 5}{extra}\n"
        for i in range(start, start + n)
    )


def test_a_single_rating_above_5_without_a_declared_scale_is_refused_with_its_line(
    engine: Engine,
) -> None:
    """Reproduction 3: one 7 in a 1-5 file made the whole survey 1-7 with only a note."""
    rows = _equity_rows(30).splitlines(keepends=True)
    rows[11] = "R11,3,4,7,2\n"  # line 13: a typo, or a 7-point survey nobody declared
    report = import_survey(engine, (EQUITY_HEADER + "".join(rows)).encode())
    assert not report.committed and _count(engine) == 0
    assert [(e.line, e.code, e.value) for e in report.errors] == [
        (13, "scale_not_declared", "brand:awareness: 7")
    ]
    # Declared, the same file is a 1-7 survey.
    declared = import_survey(engine, (EQUITY_HEADER + "".join(rows)).encode(), scale=7)
    assert declared.committed and declared.scale == 7 and not declared.scale_inferred


def test_a_half_point_on_an_integer_scale_is_refused_with_its_line(engine: Engine) -> None:
    bad = DELIVERED + "R3,,walk-in,3.5,4,2,2,1,,,,\nR4,,walk-in,4,4,2,2,1.5,4,4,2,2.5\n"
    report = import_survey(engine, bad.encode(), scale=5)
    assert [(e.line, e.code, e.value) for e in report.errors] == [
        (4, "not_whole", "product: 3.5"),
        (5, "not_whole", "competitor:time: 2.5"),  # the importance weight 1.5 is fine
    ]
    assert _count(engine) == 0


def test_the_outcome_is_checked_like_every_rating(engine: Engine) -> None:
    """Reproduction 3: an outcome of 99 (or 1e308) on a 1-5 scale was taken as it came."""
    body = _equity_rows(30)
    body = body.replace("R3,", "R3,", 1)
    lines = body.splitlines(keepends=True)
    lines[3] = "R3,99,3,3,3\n"  # line 5
    lines[7] = "R7,1e308,3,3,3\n"  # line 9
    lines[9] = "R9,2.5,3,3,3\n"  # line 11
    lines[12] = "R12,0,3,3,3\n"  # line 14
    report = import_survey(engine, (EQUITY_HEADER + "".join(lines)).encode(), scale=5)
    assert [(e.line, e.code) for e in report.errors] == [
        (5, "out_of_scale"),
        (9, "out_of_scale"),
        (11, "not_whole"),
        (14, "out_of_scale"),
    ]
    assert report.errors[0].value == "outcome: 99 (1-5)"
    assert _count(engine) == 0


def test_a_header_only_file_is_refused_and_creates_nothing(engine: Engine) -> None:
    """Reproduction 5: "imports 0 rows" and an instrument nobody answered."""
    from bot.surveys.store import INSTRUMENT

    for header in (EQUITY_HEADER, KANO.splitlines()[0] + "\n", DELIVERED.splitlines()[0]):
        report = import_survey(engine, header.encode())
        assert not report.committed
        assert [(e.line, e.code) for e in report.errors] == [(1, "no_answers")]
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(INSTRUMENT)).scalar_one() == 0
    assert SurveyService(SurveyStore(engine), _NoCitations()).available() == {}


@pytest.mark.parametrize(
    ("functional", "dysfunctional", "category"),
    [
        ("I like it that way", "I dislike it that way", "O"),
        ("I like it that way.", "It must be that way", "A"),
        ("It must be that way", "I can live with it that way", "I"),
        ("I am neutral", "I dislike it that way", "M"),
        ("I expect it that way", "I can tolerate it that way", "I"),
        ("I dislike it that way", "I like it that way", "R"),
        ("我很喜歡", "我不喜歡", "O"),
        ("非常喜歡", "能夠忍受", "A"),
        ("非常喜欢", "能够忍受", "A"),
        ("理應如此", "很不喜歡", "M"),
        ("理应如此", "很不喜欢", "M"),
        ("無所謂", "不喜歡", "M"),
        ("I LIKE IT THAT WAY", "i  dislike it  that way", "O"),
        ("I’m neutral", "I don’t like it that way", "M"),
    ],
)
def test_the_standard_kano_answer_wordings_are_understood(
    engine: Engine, functional: str, dysfunctional: str, category: str
) -> None:
    """Reproduction 7: the questionnaire's own words were refused as unknown answers."""
    text = (
        "respondent_id,feature,functional,dysfunctional\n"
        f'R1,Fast delivery,"{functional}","{dysfunctional}"\n'
    )
    report = import_survey(engine, text.encode())
    assert report.committed, [(e.code, e.value) for e in report.errors]
    kano = SurveyService(SurveyStore(engine), _NoCitations()).result(Instrument.KANO).kano
    assert kano is not None and kano.features[0].counts[category] == 1


def test_a_kano_import_names_no_rating_scale_and_plurals_agree(engine: Engine) -> None:
    from bot.render.value import import_html
    from knowledge.models import Lang

    one = "respondent_id,feature,functional,dysfunctional\nR1,Fast delivery,1,5\n"
    text = import_html(import_survey(engine, one.encode()), "k.csv", Lang.EN)
    assert "scale" not in text and "1–5" not in text
    assert "1 row," in text and "1 new respondent," in text and "1 rows" not in text
    zh = import_html(import_survey(engine, one.encode()), "k.csv", Lang.ZH_HANT)
    assert "量表" not in zh


def test_skipped_lines_are_plain_words_sorted_by_line(engine: Engine) -> None:
    from bot.render.value import import_html
    from knowledge.models import Lang

    text = KANO + "R1,C-1,Gift wrap,like,neutral\nR1,C-1,Fast delivery,1,5\n"
    report = import_survey(engine, text.encode())
    assert report.committed
    assert [(s.line, s.code) for s in report.skipped] == [
        (6, "duplicate_row"),
        (7, "duplicate_row"),
    ]
    shown = import_html(report, "k.csv", Lang.EN)
    assert "duplicate_row" not in shown
    assert "line 6: the same answers as line 3" in shown
    assert shown.index("line 6") < shown.index("line 7")
