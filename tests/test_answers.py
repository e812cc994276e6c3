"""Answer composition: citations, language, follow-ups."""

from __future__ import annotations

import re

from knowledge.answer import citation_numbers
from knowledge.models import Lang, PriorExchange
from knowledge.script import to_simplified
from knowledge.service import KnowledgeService


def test_answer_cites_only_sources_it_lists(knowledge: KnowledgeService) -> None:
    answer = knowledge.ask_sync("什麼是服務價值?")
    assert answer.answered and answer.lang is Lang.ZH_HANT
    numbers = citation_numbers(answer.text)
    assert numbers == set(range(1, len(answer.sources) + 1))
    assert "服務價值是指企業伴隨實體產品的出售" in answer.text
    for source in answer.sources:
        assert source.title and source.section and source.text


def test_every_quoted_sentence_comes_from_its_cited_passage(knowledge: KnowledgeService) -> None:
    answer = knowledge.ask_sync("客戶資產由哪三個部分組成?")
    for line in answer.text.split("\n")[1:]:
        m = re.match(r"• (.*) \[(\d+)\]$", line)
        assert m, line
        quoted, number = m.group(1), int(m.group(2))
        assert to_simplified(quoted) in to_simplified(answer.sources[number - 1].text)


def test_simplified_reader_gets_simplified_quotes(knowledge: KnowledgeService) -> None:
    answer = knowledge.ask_sync("什么是满足性需求?")
    assert answer.lang is Lang.ZH_HANS
    assert "满足性需求" in answer.text and "滿足性需求" not in answer.text


def test_list_question_gets_the_list(knowledge: KnowledgeService) -> None:
    answer = knowledge.ask_sync("提高顾客感知价值有哪些基本策略?")
    assert answer.text.count("[1]") == 16
    assert "以准确的品牌定位满足顾客心理与情感需求" in answer.text


def test_follow_up_uses_previous_exchange(knowledge: KnowledgeService) -> None:
    first = knowledge.ask_sync("What are Kano's three levels of customer needs?")
    assert first.answered
    prior = PriorExchange(first.question, first.text, first.lang)
    follow = knowledge.ask_sync("and the second one?", prior=prior)
    assert follow.answered
    assert "滿足性需求" in follow.text
    alone = knowledge.ask_sync("and the second one?")
    assert not alone.answered


def test_unrelated_new_question_ignores_previous_exchange(knowledge: KnowledgeService) -> None:
    prior = PriorExchange("What is influence value?", "…", Lang.EN)
    answer = knowledge.ask_sync("什麼是功能價值?", prior=prior)
    assert "功能价值" in to_simplified(answer.text)


def test_empty_and_huge_questions(knowledge: KnowledgeService) -> None:
    assert not knowledge.ask_sync("   ").answered
    huge = "什麼是顧客價值?" + "啊" * 50_000
    assert knowledge.ask_sync(huge).lang is Lang.ZH_HANT  # no crash, bounded work


def test_off_topic_after_on_topic_is_still_declined(knowledge: KnowledgeService) -> None:
    prior = PriorExchange("什麼是顧客感知價值?", "…", Lang.ZH_HANT)
    assert not knowledge.ask_sync("明天會下雨嗎?", prior=prior).answered
