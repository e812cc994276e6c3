"""Retrieval quality on the shared development set, through the real index."""

from __future__ import annotations

import json

import pytest

from knowledge.script import to_simplified
from knowledge.service import KnowledgeService
from tests.conftest import DEV_SET


def _norm(text: str) -> str:
    return "".join(to_simplified(text).split())


def _questions() -> list[dict]:  # type: ignore[type-arg]
    return [json.loads(line) for line in DEV_SET.read_text(encoding="utf-8").splitlines() if line]


def test_dev_set_hit_at_3(knowledge: KnowledgeService) -> None:
    answerable = [q for q in _questions() if q["answerable"]]
    hits = 0
    for q in answerable:
        retrieval = knowledge.retrieve(q["question"])
        top3 = [_norm(p.chunk.text) for p in retrieval.passages[:3]]
        if any(all(_norm(g) in text for g in q["gold_spans"]) for text in top3):
            hits += 1
    assert hits / len(answerable) >= 0.9, f"hit@3 {hits}/{len(answerable)}"


@pytest.mark.parametrize(
    "q", [q for q in _questions() if not q["answerable"]], ids=lambda q: q["id"]
)
def test_off_topic_declined(knowledge: KnowledgeService, q: dict) -> None:  # type: ignore[type-arg]
    answer = knowledge.ask_sync(q["question"])
    assert not answer.answered
    assert answer.sources == ()


@pytest.mark.parametrize(
    "question",
    [
        "客服电话是多少?",
        "如何測量水溫感測器?",
        "What is the weather in Taipei tomorrow?",
        "熱點內容",
    ],
)
def test_page_furniture_and_hot_topics_are_not_answered(
    knowledge: KnowledgeService, question: str
) -> None:
    assert not knowledge.ask_sync(question).answered


def test_traditional_and_simplified_find_the_same_passage(knowledge: KnowledgeService) -> None:
    hant = knowledge.retrieve("什麼是潛在價值?").passages[0].chunk.chunk_id
    hans = knowledge.retrieve("什么是潜在价值?").passages[0].chunk.chunk_id
    assert hant == hans


def test_english_finds_chinese_passage(knowledge: KnowledgeService) -> None:
    top = knowledge.retrieve("What is influence value?").passages[0]
    assert "影響價值" in top.chunk.text
