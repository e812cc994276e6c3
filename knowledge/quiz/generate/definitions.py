"""Definition questions: "which concept is described as …?", from the corpus's own
definitions ("X是指…", "X就是…", "X:指…", "…称为X", "X,这类需求是…").

The options are the concepts the corpus defines, so every wrong option is a sibling idea
with a definition of its own (another kind of cost for a cost, another kind of value for
a value), never a made-up term.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from knowledge.models import Chunk
from knowledge.quiz.entry import BankEntry, seeded
from knowledge.quiz.generate.common import (
    entry,
    mask,
    passages,
    sentences,
    short_id,
    strip_glosses,
    topic_for,
)
from knowledge.quiz.validate import fold
from knowledge.script import to_simplified

HEADS = ("价值", "成本", "资产", "管理", "理论", "因素", "需求", "法则", "定律", "主张")
_HEAD = "|".join(HEADS)
_TERM = rf"[\u4e00-\u9fffA-Za-z]{{1,10}}?(?:{_HEAD})"
_VERBS = "是指|就是|指的是|通常被定义为|来源于|表示|即|指|是|:指|:认为|:是|:"
_FORWARD = re.compile(
    rf"[-\s]*(?:所谓的?)?(?P<term>{_TERM})(?:或[\u4e00-\u9fff]{{1,3}})?,?"
    rf"(?P<verb>{_VERBS})(?P<def>[^。;]{{12,150}})"
)
_BACKWARD = re.compile(rf"(?P<def>[^。;]{{12,150}}?)(?:称为|叫做|叫作)(?P<term>{_TERM})[。;]?$")
_COREF = re.compile(
    rf"(?P<term>{_TERM})(?:或[\u4e00-\u9fff]{{1,3}})?,(?P<def>(?:这类|这种|该)(?:{_HEAD})[^。;]{{10,150}})"
)
_BOUNDARY = re.compile(r"[,:;“”是]")
# Not concept names: pronouns, clauses, verbs, possessives ("X的Y" is a description).
_BAD_TERM = re.compile(
    r"[的这那该其和或与从以在对把让使为是]|^(?:提升|提高|增加|降低|创造|实施|管理|一些|以下|按照|根据|依据)"
)
_ALIAS = re.compile(rf"^{_TERM},")  # "X即Y,是…": Y is another name for X, not a definition
MAX_GAP = 40  # folded characters between a term and its definition (glosses included)
MIN_TERM, MAX_TERM = 3, 10
QUESTION_DEF_CHARS = 120
CUE_CHARS = 40


@dataclass(frozen=True, slots=True)
class Definition:
    term: str
    verb: str
    text: str  # the definition, without the term
    passage: Chunk
    backward: bool  # "…称为X": the term follows its definition


def normalized(term: str) -> str:
    """顾客 and 客户 name the same party in these articles."""
    return term.replace("顾客", "客户")


def find_definitions(chunks: list[Chunk]) -> list[Definition]:
    found: dict[tuple[str, str], Definition] = {}
    for chunk in passages(chunks):
        text = to_simplified(chunk.text)
        for raw in sentences(chunk):
            if _after_misconceptions(text, raw):
                continue
            sentence = strip_glosses(raw).rstrip("。;")
            for definition in _in_sentence(sentence, chunk):
                key = (normalized(definition.term), definition.text[:20])
                found.setdefault(key, definition)
    return list(found.values())


def _in_sentence(sentence: str, chunk: Chunk) -> list[Definition]:
    out = []
    starts = [0] + [m.end() for m in _BOUNDARY.finditer(sentence)]
    for start in starts:
        for pattern in (_COREF, _FORWARD):
            m = pattern.match(sentence, start)
            if m and _good(m["term"], m["def"], m.groupdict().get("verb", "")):
                out.append(
                    Definition(m["term"], m.groupdict().get("verb") or "", m["def"], chunk, False)
                )
                break
    m = _BACKWARD.search(sentence)
    if m and _good(m["term"], m["def"], ""):
        out.append(Definition(m["term"], "称为", m["def"], chunk, True))
    return out


def _good(term: str, text: str, verb: str) -> bool:
    if not MIN_TERM <= len(term) <= MAX_TERM or _BAD_TERM.search(term):
        return False
    if "概念" in text or term in text[:4] or _ALIAS.match(text):
        return False
    # "X是…的" says what X is like, not what it is.
    return not (verb == "是" and text.endswith("的"))


def _after_misconceptions(text: str, sentence: str) -> bool:
    """Lists of common mistakes ("常见误区:…就是…") read like definitions but are wrong."""
    at = text.find(sentence)
    return at >= 0 and "误区" in text[max(0, at - 120) : at]


def definition_entries(chunks: list[Chunk]) -> list[BankEntry]:
    definitions = find_definitions(chunks)
    terms = sorted({d.term for d in definitions})
    entries = []
    for n, d in enumerate(definitions):
        distractors = _siblings(d, terms)
        placed = _placed(d)
        if len(distractors) < 3 or placed is None:
            continue
        cue, before, after = placed
        shown = mask(d.text, d.term, normalized(d.term), d.term.replace("客户", "顾客"))
        if len(shown) > QUESTION_DEF_CHARS:
            shown = shown[: QUESTION_DEF_CHARS - 1] + "…"
        if d.backward:
            question = f"文中把「{shown}」称为什么?"
            explanation = f"{d.text}称为{d.term}。"
        else:
            question = f"文中哪个概念的说明是:「{shown}」?"
            explanation = f"{d.term}{d.verb}{d.text}。"
        entries.append(
            entry(
                id=f"def-{short_id(d.passage)}-{n + 1}",
                topic=topic_for(d.term + d.text),
                difficulty=2 if d.backward or d.text.startswith(("这类", "这种", "该")) else 1,
                passage=d.passage,
                cue=cue,
                question=question,
                answer=d.term,
                distractors=distractors,
                explanation=explanation,
                window=before,
                window_after=after,
            )
        )
    return entries


def _placed(d: Definition) -> tuple[str, int, int] | None:
    """The cue (the definition's words as the passage has them) and the validator's window:
    from the term to the cue, and nothing beyond, so a neighbouring definition in a list
    ("情感价值:…- 社会价值:…") never counts as support."""
    text = fold(d.passage.text)
    cue = d.text[-CUE_CHARS:] if d.backward else d.text[:CUE_CHARS]
    while len(cue) >= 8 and fold(cue) not in text:  # a gloss inside: keep what matches
        cue = cue[1:] if d.backward else cue[:-1]
    at = text.find(fold(cue))
    if len(cue) < 8 or at < 0:
        return None
    term = fold(d.term)
    if d.backward:
        end = text.find(term, at + len(fold(cue)))
        gap = end + len(term) - (at + len(fold(cue)))
        return (cue, 0, gap) if end >= 0 and gap <= MAX_GAP else None
    start = text.rfind(term, 0, at)
    return (cue, at - start, 0) if start >= 0 and at - start <= MAX_GAP else None


def _siblings(d: Definition, terms: list[str]) -> list[str]:
    """Three other defined concepts, the same kind first (a cost for a cost)."""
    answer = normalized(d.term)
    pool = [
        t
        for t in terms
        if not _subsequence(normalized(t), answer)
        and not _subsequence(answer, normalized(t))
        and normalized(t) not in normalized(d.text)
    ]
    same = [t for t in pool if t[-2:] == d.term[-2:]]
    other = [t for t in pool if t[-2:] != d.term[-2:]]
    rng = seeded(d.passage.chunk_id + d.term)
    picked = rng.sample(same, min(3, len(same)))
    if len(picked) < 3:
        picked += rng.sample(other, min(3 - len(picked), len(other)))
    return picked


def _subsequence(short: str, long: str) -> bool:
    """ "客户价值" hides in "客户感知价值": the article treats the two as one idea, so one
    is never the wrong option for the other."""
    chars = iter(long)
    return all(c in chars for c in short)
