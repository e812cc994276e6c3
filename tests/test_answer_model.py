"""The learned answer path and the data it learns from (issue 23)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

from knowledge.models import Lang, PriorExchange
from knowledge.question import ORDINAL_WORDS, analyze, sub_questions
from knowledge.ranker import load_models
from knowledge.script import to_simplified
from knowledge.service import KnowledgeService

ROOT = Path(__file__).resolve().parents[1]


def _bench(name: str) -> ModuleType:
    sys.path.insert(0, str(ROOT))
    spec = importlib.util.spec_from_file_location(name, ROOT / "bench" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def labelled() -> list[dict]:  # type: ignore[type-arg]
    path = ROOT / "bench" / "data" / "answers" / "labelled.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_two_part_questions_split_into_their_parts() -> None:
    assert sub_questions("摩托羅拉投了多少錢?破產時負債多少?") == (
        "摩托羅拉投了多少錢?",
        "破產時負債多少?",
    )
    assert sub_questions("On what date did it go bankrupt, and how many years had it taken?") == (
        "On what date did it go bankrupt",
        "and how many years had it taken?",
    )
    assert sub_questions("顾客价值是什么,还有它怎么计算?") == ("顾客价值是什么", "还有它怎么计算?")
    assert sub_questions("什麼是顧客價值?") == ()
    assert sub_questions("What is customer value?") == ()


def test_an_ordinal_with_its_own_subject_is_a_fresh_question(knowledge: KnowledgeService) -> None:
    """ "卡諾模型的第二層需求" after the sixteen strategies is Kano's second level, not the
    second strategy."""
    first = knowledge.ask_sync("提高顧客感知價值有哪些基本策略?")
    assert first.answered and "讓產品使用時更安全" in first.text
    prior = PriorExchange(first.question, first.text, first.lang)
    answer = knowledge.ask_sync("狩野的需求層次裡,第二層需求是什麼?", prior=prior)
    assert answer.answered
    assert "滿足性需求" in answer.text
    assert "讓產品使用時更安全" not in answer.text


def test_an_ordinal_about_the_last_list_still_follows_it(knowledge: KnowledgeService) -> None:
    first = knowledge.ask_sync("提高顧客感知價值有哪些基本策略?")
    prior = PriorExchange(first.question, first.text, first.lang)
    answer = knowledge.ask_sync("那第二個策略呢?", prior=prior)
    assert answer.answered and "讓產品使用時更安全" in answer.text


@pytest.mark.parametrize(
    ("first", "follow_up", "item", "other"),
    [
        ("為顧客創造價值有哪幾種途徑?", "那第四種具體是什麼意思?", "協助顧客成功", "強化顧客"),
        ("顧客價值有哪些特徵?", "那第二點具體講的是什麼?", "感知利益", "感知效用"),
    ],
)
def test_an_ordinal_whose_other_words_name_no_topic_follows_the_list(
    knowledge: KnowledgeService, first: str, follow_up: str, item: str, other: str
) -> None:
    """ "具體" is rare in the articles, so it counted as the question's own subject and the
    follow-up was read as a fresh question, which nothing covers: it was declined."""
    listed = knowledge.ask_sync(first)
    assert listed.answered and item in listed.text and other in listed.text
    prior = PriorExchange(listed.question, listed.text, listed.lang)
    answer = knowledge.ask_sync(follow_up, prior=prior)
    assert answer.answered  # declined on main
    assert item in answer.text and other not in answer.text


@pytest.mark.parametrize(
    ("follow_up", "lang"),
    [("那第二個具體是什麼意思?", Lang.ZH_HANT), ("What does the second one mean?", Lang.EN)],
)
def test_an_ordinal_points_into_a_list_stated_inside_a_sentence(
    knowledge: KnowledgeService, follow_up: str, lang: Lang
) -> None:
    """ "由價值資產、品牌資產、維繫資產三個部分組成" is a list the reader met, though the
    article does not set it out item by item: "the second one" is brand equity. On main the
    Chinese follow-up was declined and the English one repeated the first answer."""
    english = lang is Lang.EN
    listed = knowledge.ask_sync(
        "What is customer equity made up of?" if english else "客戶資產由哪幾部分組成?"
    )
    assert "品牌资产" in to_simplified(listed.text)
    prior = PriorExchange(listed.question, listed.text, listed.lang)
    answer = knowledge.ask_sync(follow_up, prior=prior)
    assert answer.answered and answer.lang is lang
    assert "主观和无形的评价" in to_simplified(answer.text)  # brand equity's definition


@pytest.mark.parametrize(
    ("first", "follow_up", "expected"),
    [
        ("客戶資產由哪幾部分組成?", "那第二個呢?", "主观和无形的评价"),  # bare: what it is
        ("What is customer equity made up of?", "And the second?", "主观和无形的评价"),
        ("What is customer equity made up of?", "What about second one?", "主观和无形的评价"),
        # a subject of its own that the articles cover is a fresh question (review)
        ("客戶資產由哪幾部分組成?", "狩野紀昭說的第二層需求是什麼?", "满足性需求"),
    ],
)
def test_an_ordinal_after_a_list_inside_a_sentence_in_other_words(
    knowledge: KnowledgeService, first: str, follow_up: str, expected: str
) -> None:
    listed = knowledge.ask_sync(first)
    prior = PriorExchange(listed.question, listed.text, listed.lang)
    answer = knowledge.ask_sync(follow_up, prior=prior)
    assert answer.answered
    assert expected in to_simplified(answer.text)


def test_an_ordinal_points_into_a_list_quoted_sentence_by_sentence(
    knowledge: KnowledgeService,
) -> None:
    """An answer that quotes the items "一是…二是…三是…" without telling the list whole still
    told that list: "the last item" is its last (declined on main)."""
    listed = knowledge.ask_sync(
        "What goes into the supporting infrastructure a company needs to build?"
    )
    assert "一是組織整合" in listed.text and "共" not in listed.text.splitlines()[0]
    prior = PriorExchange(listed.question, listed.text, listed.lang)
    answer = knowledge.ask_sync("那最後一項具體要怎麼做?", prior=prior)
    assert answer.answered
    assert "五是技能與訓練" in answer.text and "一是組織整合" not in answer.text


def test_shipped_weights_load_and_the_learned_path_answers(knowledge: KnowledgeService) -> None:
    learned = knowledge.with_models(load_models())
    answer = learned.ask_sync("什麼是顧客讓渡價值?")
    assert answer.answered and answer.sources
    assert "让渡价值" in to_simplified(answer.text)
    assert not learned.ask_sync("明天會下雨嗎?").answered
    assert not learned.ask_sync("Do you have a good recipe for braised pork belly?").answered


def test_the_learned_path_answers_each_part_of_a_two_part_question(
    knowledge: KnowledgeService,
) -> None:
    learned = knowledge.with_models(load_models())
    draft = learned.draft("客戶資產由哪三個部分組成?二八法則又是什麼意思?", Lang.ZH_HANT)
    assert draft is not None and len(draft.part_scores) == 2
    answer = learned.extractive.compose(draft)
    text = to_simplified(answer.text)
    assert "价值资产" in text and "80" in text


def test_the_rules_answer_each_part_of_a_two_part_question(knowledge: KnowledgeService) -> None:
    """Failure class 2 of issue 23: "how much ..., and how much ...?" answered one part."""
    answer = knowledge.ask_sync("客戶資產由哪三個部分組成?二八法則又是什麼意思?")
    text = to_simplified(answer.text)
    assert answer.answered and "价值资产" in text and "80" in text


def test_labelled_data_is_what_the_script_makes(labelled: list[dict]) -> None:  # type: ignore[type-arg]
    rows, _ = _bench("label_answers").build()
    assert rows == labelled


def test_the_split_is_by_section_and_keeps_follow_ups_together(
    labelled: list[dict],  # type: ignore[type-arg]
) -> None:
    units: dict[str, set[str]] = {}
    for row in labelled:
        if row["unit"] is not None and row["source"] == "written":
            units.setdefault(row["split"], set()).add(row["unit"])
    assert units["test"].isdisjoint(units["train"] | units["validation"])
    assert units["validation"].isdisjoint(units["train"])
    by_id = {row["id"]: row for row in labelled}
    for row in labelled:
        if "follows" in row:
            assert by_id[row["follows"]]["split"] == row["split"]
    written = [r for r in labelled if r["source"] == "written"]
    answerable = [r for r in written if r["type"] != "offtopic"]
    assert len(answerable) >= 400 and len(written) - len(answerable) >= 80
    assert sum("follows" in r for r in written) >= 40
    assert all(r["answer_sentences"] for r in answerable)
    assert {r["lang"] for r in answerable} == {"en", "zh-Hans", "zh-Hant"}


def test_ordinals_asking_for_several_items() -> None:
    assert analyze("那第三種跟最後一種看法差在哪裡?").ordinals == (3, -1)
    assert analyze("那後面兩個分別對應到哪個維度?").ordinals == (-2, -1)
    assert analyze("那前兩個具體是什麼?").ordinals == (1, 2)
    assert analyze("How do the second and the last one differ?").ordinals == (2, -1)
    assert analyze("Compare the first one and the third one.").ordinals == (1, 3)
    assert analyze("What about the first two?").ordinals == (1, 2)
    assert analyze("那第二個呢?").ordinals == (2,)
    assert analyze("前兩年顧客價值的研究有什麼變化?").ordinals == ()
    assert analyze("second one?").ordinals == (2,)
    assert analyze("First, what does the second one mean?").ordinals == (2,)
    first = "first, what does the second one mean?"
    assert ORDINAL_WORDS.sub("X", first) == "first, what does X mean?"


@pytest.mark.parametrize(
    ("follow_up", "items", "other"),
    [
        ("那前兩個具體是什麼?", ("1、在控製成本", "2、讓產品使用時更安全"), "3、使產品"),
        (
            "How do the second and the last one differ?",
            ("2、讓產品使用時更安全", "16、利用現代網路"),
            "3、使產品",
        ),
    ],
)
def test_a_follow_up_asking_for_several_items_gets_each(
    knowledge: KnowledgeService, follow_up: str, items: tuple[str, ...], other: str
) -> None:
    """ "第三種跟最後一種差在哪裡?" asks for two items of the last list; on main only the
    first of them was told."""
    listed = knowledge.ask_sync("提高顧客感知價值有哪些基本策略?")
    prior = PriorExchange(listed.question, listed.text, listed.lang)
    answer = knowledge.ask_sync(follow_up, prior=prior)
    assert answer.answered
    assert all(item in answer.text for item in items)
    assert other not in answer.text
