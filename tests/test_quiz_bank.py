"""The quiz question bank: grounded in the index, within Telegram's limits, validated."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from bot.config import PACKAGE_CORPUS
from knowledge.chunking import current_chunks
from knowledge.models import Chunk
from knowledge.quiz.bank import BankEntry, list_items, load_entries
from knowledge.quiz.generate import generated_entries
from knowledge.quiz.generate.cases import company_names
from knowledge.quiz.generate.definitions import find_definitions
from knowledge.quiz.validate import check_all, valid_questions
from knowledge.script import to_simplified

KEYS = {
    "id",
    "lang",
    "topic",
    "difficulty",
    "question",
    "options",
    "correct",
    "explanation",
    "source",
}


@pytest.fixture(scope="module")
def chunks() -> list[Chunk]:
    return current_chunks(PACKAGE_CORPUS)


@pytest.fixture(scope="module")
def all_terms(chunks: list[Chunk]) -> set[str]:
    return {d.term for d in find_definitions(chunks)}


@pytest.fixture(scope="module")
def entries(chunks: list[Chunk]) -> list[BankEntry]:
    return load_entries(chunks)


def test_the_built_in_bank_is_clean_and_large_enough(entries: list[BankEntry]) -> None:
    assert check_all(entries) == []
    questions = valid_questions(entries)
    ids = {q.id.rsplit(".", 1)[0] for q in questions}
    assert len(ids) >= 60
    for lang in ("zh-Hant", "zh-Hans"):
        assert {q.id.rsplit(".", 1)[0] for q in questions if q.lang == lang} == ids
    assert any(q.lang == "en" for q in questions)
    docs = {e.passage.doc_id[:3] for e in entries if e.passage is not None}
    assert docs == {"000", "001", "002", "003", "004"}
    assert {q.difficulty for q in questions} == {1, 2, 3}
    assert len({q.topic for q in questions}) >= 6
    # Answers are spread over the positions, not always first.
    positions = {q.correct for q in questions}
    assert positions == {0, 1, 2, 3}


def test_every_question_cites_text_that_is_in_the_index(
    entries: list[BankEntry], chunks: list[Chunk]
) -> None:
    texts = {to_simplified(c.text) for c in chunks}
    for question in valid_questions(entries):
        assert to_simplified(question.source.text) in texts
        assert len(question.explanation) <= 200
        assert all(len(o) <= 100 for o in question.options)
        assert len(question.question) <= 300


def test_generated_list_questions_draw_distractors_from_other_articles(
    entries: list[BankEntry],
) -> None:
    outlines = [e for e in entries if e.id.startswith("list-")]
    assert len(outlines) >= 15
    for entry in outlines:
        assert entry.passage is not None and entry.passage.is_outline
        _, items = list_items(entry.passage)
        zh = entry.variants["zh"]
        options = zh["options"]
        assert options[zh["correct"]] in items
        for n, option in enumerate(options):
            if n != zh["correct"]:
                assert option not in items and len(option) >= 6


def test_questions_are_generated_from_every_kind_of_structure(entries: list[BankEntry]) -> None:
    generated = [e for e in entries if e.origin == "generated"]
    kinds = Counter(e.id.split("-")[0] for e in generated)
    # Outline lists, lists inside paragraphs, definitions, formulas and figures, cases.
    assert kinds["list"] >= 15 and kinds["enum"] + kinds["num"] >= 10
    assert kinds["def"] >= 12 and kinds["case"] >= 6
    assert kinds["formula"] + kinds["symbol"] + kinds["rule"] >= 4
    assert len(generated) >= 60
    assert {e.passage.doc_id[:3] for e in generated if e.passage} == {
        "000", "001", "002", "003", "004",
    }  # fmt: skip


def test_generated_definitions_blank_the_term_and_offer_other_defined_terms(
    entries: list[BankEntry], all_terms: set[str]
) -> None:
    definitions = [e for e in entries if e.origin == "generated" and e.id.startswith("def-")]
    for entry in definitions:
        zh = entry.variants["zh"]
        term, wrong = zh["options"][0], zh["options"][1:]
        assert term not in zh["question"]
        assert set(wrong) <= all_terms - {term}
        assert term in to_simplified(entry.passage.text if entry.passage else "")


def test_generated_cases_blank_the_company_and_offer_other_companies(
    entries: list[BankEntry], chunks: list[Chunk]
) -> None:
    names = set(company_names(chunks))
    cases = [e for e in entries if e.origin == "generated" and e.id.startswith("case-")]
    assert {"华为", "亚马逊", "星巴克", "海尔"} <= names
    assert not names & {"企业", "汽车制造商", "公司"}
    for entry in cases:
        zh = entry.variants["zh"]
        assert set(zh["options"]) <= names
        assert not any(option in zh["question"] for option in zh["options"])
        assert "____" in zh["question"]


def test_generators_read_structure_not_a_fixed_list() -> None:
    """A made-up article: each generator finds its kind of question in it."""
    text = (
        "甲乙成本是指顾客为了等候交货而耗费的全部时间与机会。丙丁成本是指顾客在比较各家报价时"
        "付出的精神与体力消耗。戊己成本是指顾客换用其他供应商时必须放弃的各种优惠与积分。"
        "庚辛成本是指顾客在使用产品过程中需要支付的维护与耗材费用。"
        "服务要素包括:1、响应速度。2、解决能力。3、沟通态度。"
        "例如,星河公司通过会员积分和免费配送,让老顾客的复购率提高了一倍。"
        "例如,云帆公司通过门店体验和上门安装,赢得了大批家庭客户的信任。"
        "例如,海石公司通过定期回访和延长保修,降低了客户的流失率。"
        "例如,青禾公司通过社群运营和会员日活动,提升了客户的品牌忠诚度。"
        "按照三七法则,即70%的收入来自30%的老客户。"
    )
    chunk = Chunk(
        chunk_id="900_demo#1", doc_id="900_demo", title="示例", section="示例", position=1,
        text=text, sentences=(text,), search_text=text,
    )  # fmt: skip
    generated = generated_entries([chunk], [])
    kinds = Counter(e.id.split("-")[0] for e in generated)
    assert kinds["def"] == 4 and kinds["case"] == 4 and kinds["rule"] == 1
    answers = {str(e.variants["zh"]["options"][0]) for e in generated}
    assert {"甲乙成本", "星河", "30%"} <= answers
    assert check_all(generated) == []


def test_the_bank_is_the_same_on_every_run(tmp_path: Path) -> None:
    outputs = []
    for seed in ("1", "2"):
        env = {k: v for k, v in os.environ.items() if k != "TELEGRAM_BOT_TOKEN"}
        env["PYTHONHASHSEED"] = seed
        listed = subprocess.run(
            [sys.executable, "-m", "bot.cli", "quiz", "list", "--json"],
            env=env, capture_output=True, text=True, timeout=120, check=True,
        )  # fmt: skip
        outputs.append(listed.stdout)
    assert outputs[0] == outputs[1] and outputs[0].count("\n") >= 200


BAD_BANK = """
- id: dup-options
  topic: kano
  difficulty: 1
  source: {doc: "001", quote: "將顧客的需求分為三個層次"}
  cue: "將顧客的需求分為三個層次"
  zh: {question: "誰?", options: ["狩野紀昭", "狩野紀昭", "波特"], correct: 0, explanation: "x"}
- id: unsupported
  topic: kano
  difficulty: 1
  source: {doc: "001", quote: "將顧客的需求分為三個層次"}
  cue: "將顧客的需求分為三個層次"
  zh: {question: "誰?", options: ["波特", "科特勒"], correct: 0, explanation: "x"}
- id: ambiguous
  topic: delivered_value
  difficulty: 1
  source: {doc: "000", quote: "評價它的標准只有一個"}
  cue: "評價它的標准只有一個"
  window: 60
  zh: {question: "標準?", options: ["滿意", "人員價值"], correct: 0, explanation: "x"}
- id: missing-quote
  topic: kano
  difficulty: 1
  source: {doc: "001", quote: "這句話不在文章裡"}
  cue: "x"
  zh: {question: "?", options: ["a", "b"], correct: 0, explanation: "x"}
- id: too-long
  topic: kano
  difficulty: 1
  source: {doc: "001", quote: "將顧客的需求分為三個層次"}
  cue: "將顧客的需求分為三個層次"
  zh: {question: "誰?", options: ["狩野紀昭", "%s"], correct: 0, explanation: "x"}
""" % ("長" * 101)


def test_check_rejects_bad_questions_with_reasons(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text(BAD_BANK, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "TELEGRAM_BOT_TOKEN"}
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "quiz", "check", "--bank", str(tmp_path)],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 1
    report = result.stdout
    assert "dup-options.zh-Hant: duplicate options" in report
    assert "unsupported: the passage does not support the answer: 波特" in report
    assert "ambiguous: ambiguous: the passage also supports 人員價值" in report
    assert "missing-quote: its source quote is not in any indexed passage" in report
    assert "too-long.zh-Hant: option empty or over 100" in report
    assert "5 rejected" in result.stderr


def test_list_json_contract_and_export(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "TELEGRAM_BOT_TOKEN"}
    listed = subprocess.run(
        [sys.executable, "-m", "bot.cli", "quiz", "list", "--json", "--topic", "kano"],
        env=env, capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    assert rows and all(set(r) == KEYS for r in rows)
    assert all(r["topic"] == "kano" for r in rows)
    assert set(rows[0]["source"]) == {"doc", "section", "text"}
    assert all(0 <= r["correct"] < len(r["options"]) for r in rows)
    out = tmp_path / "bank.csv"
    subprocess.run(
        [sys.executable, "-m", "bot.cli", "quiz", "export", "--out", str(out)],
        env=env, capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    table = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert len(table) >= 120 and table[0]["id"] and " | " in table[0]["options"]
