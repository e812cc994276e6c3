"""Doubts left by the review of issue 25 (commit 15c5db3): a Kano runner-up nobody chose,
driver groups not asked, intervals that cannot be computed or rest on too few answers,
one interval style, the smallest sample for the F-test, the waves an unknown --wave can
name, and Traditional Chinese wording and spacing."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from bot.render import plain
from bot.render.survey import (
    delivered_html,
    equity_html,
    group_name,
    kano_html,
    survey_error_text,
)
from bot.storage.repository import make_engine
from bot.surveys.csv_import import import_survey
from bot.surveys.export import export
from bot.surveys.service import SurveyResult, SurveyService
from bot.surveys.store import SurveyStore
from knowledge.models import Lang
from value_engine.survey import advice, delivered, drivers, guardrails, kano
from value_engine.survey.models import Instrument, Scale, SurveyError


class _NoCitations:
    def find(self, doc_prefix: str, quote: str) -> None:
        return None


NO_CITATIONS = _NoCitations()
NAMES2 = [("value", "quality"), ("brand", "awareness")]


def _helps(n: int, p: int = 2, seed: int = 21) -> tuple[np.ndarray, np.ndarray]:
    """The first driver drives the outcome and is rated low (fix first)."""
    rng = np.random.default_rng(seed)
    x = rng.integers(1, 6, (n, p)).astype(float)
    x[:, 0] = rng.integers(1, 4, n)
    y = np.clip(np.rint(0.5 + 0.9 * x[:, 0] + rng.normal(0, 0.7, n)), 1, 5)
    return x, y


# --- 1. a runner-up nobody chose is not named --------------------------------------------
def test_one_kano_respondent_is_not_a_mix_with_a_category_nobody_chose() -> None:
    report = kano.analyse(["F1"], np.array([0]), np.array([1]), np.array([5]), respondents=1)
    (f1,) = report.features
    assert f1.category.value == "O" and f1.counts["M"] == 0
    assert f1.runner_up is None and not f1.mixed and f1.strength == 1.0
    for lang in Lang:
        card = plain(kano_html(report, None, lang))
        assert "O/" not in card and "mixed" not in card and "混合" not in card


def test_a_runner_up_with_answers_is_still_a_mix() -> None:
    f = np.array([1] * 40 + [3] * 36)  # 40 O (like / dislike), 36 M (neutral / dislike)
    report = kano.analyse(["F"], np.zeros(76, int), f, np.full(76, 5), respondents=76)
    (feature,) = report.features
    assert feature.runner_up == "M" and feature.mixed
    assert "O/M mixed" in plain(kano_html(report, None, Lang.EN))


# --- 2. a driver group not asked is not shown as 0% ----------------------------------------
def test_a_group_with_no_driver_is_not_shown_as_zero() -> None:
    x, y = _helps(200)
    report = drivers.analyse(NAMES2, x, y, Scale(5))
    assert list(report.group_shares) == ["value", "brand"]
    assert sum(report.group_shares.values()) == pytest.approx(1.0)
    assert "retention" not in plain(equity_html(report, None, Lang.EN))
    assert "維繫" not in plain(equity_html(report, None, Lang.ZH_HANT))


# --- 3. an interval no resample can give is no interval, not 0%–0% --------------------------
def test_an_interval_that_cannot_be_computed_is_not_shown_as_zero(tmp_path: Path) -> None:
    x, y = _helps(200, p=3)
    x[:, 2] = 4.0  # everyone rated it the same: no resample gives it a share
    names = [*NAMES2, ("retention", "loyalty")]
    report = drivers.analyse(names, x, y, Scale(5))
    assert report.sufficient
    loyalty = next(d for d in report.drivers if d.driver == "loyalty")
    assert np.isnan(loyalty.share_low) and np.isnan(loyalty.share_high)
    for lang in Lang:
        card = plain(equity_html(report, None, lang))
        row = next(line for line in card.splitlines() if "loyalty" in line and "R²" in line)
        assert "0%–0%" not in row and "0% to 0%" not in row and "0% 至 0%" not in row
        assert "(" not in row.split("R²")[1].split("·")[0]
    quality = plain(equity_html(report, None, Lang.EN)).split("quality: ")[1]
    assert re.match(r"\d+% of R² \(\d+% to \d+%\)", quality)
    paths = export([SurveyResult(Instrument.EQUITY, None, equity=report)], tmp_path)
    path = next(p for p in paths if p.name == "equity_drivers.csv")
    row = next(r for r in path.read_text().splitlines() if ",loyalty," in r)
    assert "nan" not in row.lower()


def test_a_kano_interval_no_resample_can_give_is_not_zero() -> None:
    # 40 reverse answers: Better and Worse have no base in any resample
    report = kano.analyse(["F"], np.zeros(40, int), np.full(40, 5), np.ones(40), respondents=40)
    (f,) = report.features
    assert np.isnan(f.better_low) and np.isnan(f.worse_high)
    assert "0.00 to 0.00" not in plain(kano_html(report, None, Lang.EN))


# --- 4. one interval style, the README's -------------------------------------------------------
def test_every_interval_is_written_a_to_b() -> None:
    x, y = _helps(300)
    equity = drivers.analyse(NAMES2, x, y, Scale(5))
    f = np.array([3] * 30 + [1] * 10)  # 30 M, 10 O
    kano_report = kano.analyse(["F"], np.zeros(40, int), f, np.full(40, 5), respondents=40)
    rng = np.random.default_rng(2)
    dv = delivered.analyse(
        delivered.DeliveredData(
            respondent_ids=[f"r{i}" for i in range(40)],
            customer_ids=[None] * 40,
            segments=[None] * 40,
            components=["product", "monetary"],
            ratings=rng.integers(1, 6, (40, 2)).astype(float),
            weights=np.ones((40, 2)),
        ),
        Scale(5),
    )
    cards = {
        lang: [
            plain(equity_html(equity, None, lang)),
            plain(kano_html(kano_report, None, lang)),
            plain(delivered_html(dv, lang)),
        ]
        for lang in Lang
    }
    dash = re.compile(r"[\d%]\s*[–-]\s*[-+]?\d")  # "14%–95%", not a range such as "1–5"
    for lang, texts in cards.items():
        word = " to " if lang is Lang.EN else " 至 "
        for text in texts:
            assert word in text
            assert not [m for m in dash.findall(text) if "1–5" not in m and "R²" not in m]
    en_equity, en_kano, en_dv = cards[Lang.EN]
    assert re.search(r"of R² \(\d+% to \d+%\)", en_equity)
    assert re.search(r"Better [\d.]+ \([\d.]+ to [\d.]+\)", en_kano)
    assert re.search(r"Vc [-+][\d.]+ \(95% interval [-+][\d.]+ to [-+][\d.]+\)", en_dv)
    assert re.search(r"佔 R² 的 \d+%\(\d+% 至 \d+%\)", cards[Lang.ZH_HANT][0])


# --- 5. no interval from fewer answers than the guardrails' minimum ---------------------------
def test_no_interval_from_too_few_respondents() -> None:
    one_kano = kano.analyse(["F1"], np.array([0]), np.array([1]), np.array([5]), respondents=1)
    one_dv = delivered.analyse(
        delivered.DeliveredData(
            respondent_ids=["r1", "r2"],
            customer_ids=[None, None],
            segments=[None, None],
            components=["product", "monetary"],
            ratings=np.array([[4.0, 2.0], [4.0, 2.0]]),
            weights=np.ones((2, 2)),
        ),
        Scale(5),
    )
    rng = np.random.default_rng(4)
    ten = drivers.analyse(
        NAMES2, rng.integers(1, 6, (10, 2)).astype(float), rng.integers(1, 6, 10).astype(float),
        Scale(5),
    )  # fmt: skip
    assert not ten.sufficient
    for lang in Lang:
        for card in (
            kano_html(one_kano, None, lang),
            delivered_html(one_dv, lang),
            equity_html(ten, None, lang),
        ):
            text = plain(card)
            text = text.replace("(0 to 1)", "").replace("(0 to −1)", "")  # Kano's legend
            assert not re.search(r"\d%? to [-+]?\d", text)
            assert not re.search(r"\d 至 [-+]?\d", text) and "1.00 to 1.00" not in text
            assert t_note(lang) not in text
        assert ("Not enough answers" if lang is Lang.EN else "不足") in plain(
            kano_html(one_kano, None, lang)
        )


def t_note(lang: Lang) -> str:
    return {Lang.EN: "95% intervals", Lang.ZH_HANT: "95% 區間(", Lang.ZH_HANS: "95% 区间("}[lang]


# --- 6. the smallest sample for the F-test, exactly -----------------------------------------
@pytest.mark.parametrize(("adj", "k"), [(0.30, 1), (0.12, 3), (0.05, 2), (0.02, 5), (0.2, 12)])
def test_needed_for_f_is_the_smallest_sample_that_passes(adj: float, k: int) -> None:
    brute = next(n for n in range(k + 2, 20_000) if guardrails.f_test(adj, n, k) < 0.05)
    assert guardrails.needed_for_f(adj, k) == brute


def test_needed_for_f_is_none_without_a_link_or_beyond_reach() -> None:
    assert guardrails.needed_for_f(0.0, 3) is None
    assert guardrails.needed_for_f(-0.1, 3) is None
    assert guardrails.needed_for_f(1e-9, 3) is None


# --- 7. an unknown wave names the waves there are -------------------------------------------
def test_an_unknown_wave_lists_the_waves(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'w.db'}")
    head = "respondent_id,value:product,value:service,cost:monetary,cost:time\n"
    rows = "".join(f"D{i},{3 + i % 3},3,3,3\n" for i in range(40))
    for when in (date(2026, 3, 1), date(2026, 6, 1)):
        assert import_survey(engine, (head + rows).encode(), wave=f"W{when.month}").committed
    service = SurveyService(SurveyStore(engine), NO_CITATIONS)
    for ask in (
        lambda: service.result(Instrument.DELIVERED, wave="2025-Q4"),
        lambda: service.compare(Instrument.DELIVERED, wave="2025-Q4"),
    ):
        with pytest.raises(SurveyError) as missing:
            ask()
        assert missing.value.code == "unknown_wave"
        text = survey_error_text(missing.value, Lang.EN)
        assert "2025-Q4" in text and "W3, W6" in text
        assert "W3, W6" in survey_error_text(missing.value, Lang.ZH_HANT)


# --- 8. Traditional Chinese: 維繫, and no space between Chinese words ------------------------
def test_traditional_chinese_writes_wei_xi_in_traditional_and_simplified_stays() -> None:
    assert group_name("retention", Lang.ZH_HANT) == "維繫資產"
    assert group_name("retention", Lang.ZH_HANS) == "维系资产"
    assert advice.EQUITY_GROUP["retention"].action[1].count("維繫") == 1
    assert "维系" in advice.EQUITY_GROUP["retention"].action[2]


def test_no_space_between_a_chinese_name_and_chinese_text() -> None:
    x, y = _helps(400, p=3)
    chinese = [("value", "服務體驗"), ("brand", "知名度"), ("retention", "會員")]
    report = drivers.analyse(chinese, x, y, Scale(5))
    assert [d.driver for d in report.fix_first] == ["服務體驗"]
    (focus,) = [r for r in advice.equity_advice(report, NO_CITATIONS) if "focus" in r.strategy]
    assert "服務體驗對顧客行為" in focus.action["zh-Hant"]
    assert "服務體驗对顾客行为" in focus.action["zh-Hans"]  # a name is data, not converted
    latin = drivers.analyse([("value", "quality"), *chinese[1:]], x, y, Scale(5))
    (focus,) = [r for r in advice.equity_advice(latin, NO_CITATIONS) if "focus" in r.strategy]
    assert "quality 對顧客行為" in focus.action["zh-Hant"]
    noise = np.random.default_rng(1).normal(0, 0.7, 400)
    hurt = drivers.analyse(chinese, x, np.clip(np.rint(6 - x[:, 0] + noise), 1, 5), Scale(5))
    card = equity_html(hurt, None, Lang.ZH_HANT)
    assert "<b>服務體驗</b>有負面影響" in card and "服務體驗</b> 有" not in card
