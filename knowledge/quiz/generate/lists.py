"""List questions: "which of these is one of <list>?".

Three shapes of list in the corpus: outline passages (a heading and its numbered
sub-headings, e.g. the 16 strategies), numbered runs inside a paragraph ("成本的构成要素
包括:1、货币成本。2、时间成本。…") and enumerations ("将客户价值分为既成价值、潜在价值和
影响价值"). Wrong options are items of other lists, so each is a plausible sibling
concept that is simply not on the asked list.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from knowledge.chunking import SECTION_SEPARATOR
from knowledge.document import inline_lists
from knowledge.models import Chunk
from knowledge.quiz.entry import NUMBERING, BankEntry, list_items, seeded
from knowledge.quiz.generate.common import clip, entry, passages, short_id, topic_for
from knowledge.quiz.validate import fold
from knowledge.script import to_simplified

GENERATED_PER_LIST = 6
MIN_DISTRACTOR_CHARS = 6  # outline items: "华为" or "制造业" would be nonsense there
_ITEM = r"[\u4e00-\u9fff]{2,10}"
_NUMBERED = re.compile(rf"(?:^|(?<=[。::]))(\d{{1,2}})[、.]\s*({_ITEM}?)。")
_INTRO = re.compile(r"([^。:;,]{2,20}?(?:包括|有|如下))[::]$")
MIN_ITEM = 3  # two-character items ("品质", "质量") are near-synonyms of each other


@dataclass(frozen=True, slots=True)
class ListFact:
    """A list found inside a passage: what introduces it and where the items stand."""

    intro: str
    items: tuple[str, ...]
    passage: Chunk
    cue: str  # the intro as it stands in the passage
    kind: str  # "num" or "enum"


def outline_entries(chunks: list[Chunk]) -> list[BankEntry]:
    """Outline lists of four or more items; wrong options come from other articles' lists
    only, because lists of one article overlap in meaning ("ways to create value" and "ways
    to raise perceived value")."""
    outlines = [c for c in chunks if c.is_outline]
    everything = [_concept_items(c) for c in outlines]
    entries = []
    for outline, items in zip(outlines, everything, strict=True):
        if len(items) < 4:
            continue
        heading = NUMBERING.sub("", list_items(outline)[0]).strip()
        others = [
            item
            for other, its in zip(outlines, everything, strict=True)
            if other.doc_id != outline.doc_id and len(its) >= 3
            for item in its
            if len(item) >= MIN_DISTRACTOR_CHARS
        ]
        rng = seeded(outline.chunk_id)
        for n, item in enumerate(rng.sample(items, min(GENERATED_PER_LIST, len(items)))):
            entries.append(
                entry(
                    id=f"list-{outline.doc_id[:3]}-{outline.position}-{n + 1}",
                    topic=_outline_topic(heading),
                    difficulty=2,
                    passage=outline,
                    cue=heading,
                    question=f"下列哪一項是文章「{heading}」一節列出的內容?",
                    answer=item,
                    distractors=rng.sample(others, 3),
                    explanation=_explanation(heading, items),
                )
            )
    return entries


def inline_entries(chunks: list[Chunk]) -> list[BankEntry]:
    """Numbered runs and enumerations inside paragraphs, one question per item."""
    facts = _dedupe([*numbered_lists(chunks), *enumerations(chunks)])
    all_items = [item for fact in facts for item in fact.items]
    entries = []
    for fact in facts:
        text = to_simplified(fact.passage.text)
        start = text.find(fact.cue)
        pool = _other_items(fact, text, all_items)
        question = f"在「{_leaf(fact.passage)}」一节,「{fact.intro}……」列出的项目包括下列哪一项?"
        for n, item in enumerate(fact.items):
            if len(item) < MIN_ITEM:
                continue
            distractors = _distractors(fact, item, pool)
            at = text.find(item, start + len(fact.cue))
            if len(distractors) < 3 or at < 0:
                continue
            entries.append(
                entry(
                    id=f"{fact.kind}-{short_id(fact.passage)}-{_slug(fact.intro)}-{n + 1}",
                    topic=topic_for(fact.intro + "".join(fact.items)),
                    difficulty=1 if fact.kind == "enum" else 2,
                    passage=fact.passage,
                    cue=fact.cue,
                    question=question,
                    answer=item,
                    distractors=distractors,
                    explanation=_explanation(fact.intro, list(fact.items)),
                    window=0,
                    window_after=_folded_len(text[start + len(fact.cue) : at + len(item)]),
                )
            )
    return entries


def numbered_lists(chunks: list[Chunk]) -> list[ListFact]:
    """A run may go on in the next passages of the section; it is read to its end, so the
    explanation names the whole list, and asked about in the passage that introduces it."""
    facts = []
    body = passages(chunks)
    for n, chunk in enumerate(body):
        text = to_simplified(chunk.text)
        following = "".join(
            to_simplified(c.text)
            for c in body[n + 1 : n + 4]
            if c.doc_id == chunk.doc_id and c.section == chunk.section
        )
        for first in re.finditer(r"(?:^|(?<=[。::\n]))1[、.]", text):
            items = _run(text + following, first.start())
            if len(items) < 3:
                continue
            before = text[: first.start()]
            intro = _INTRO.search(before)
            if intro:
                facts.append(ListFact(intro.group(1), tuple(items), chunk, intro.group(1), "num"))
    return facts


def _run(text: str, start: int) -> list[str]:
    """Items "1、X。2、Y。…" counted up from `start`; stops at the first gap in the numbers."""
    items: list[str] = []
    for m in _NUMBERED.finditer(text, start):
        if int(m.group(1)) != len(items) + 1:
            break
        items.append(m.group(2))
    return items


def enumerations(chunks: list[Chunk]) -> list[ListFact]:
    facts = []
    for chunk in passages(chunks):
        text = to_simplified(chunk.text)
        for found in inline_lists(text):
            facts.append(ListFact(found.intro, found.items, chunk, found.intro, "enum"))
    return facts


def _dedupe(facts: list[ListFact]) -> list[ListFact]:
    seen: set[frozenset[str]] = set()
    out = []
    for fact in facts:
        key = frozenset(fact.items)
        if key not in seen:
            seen.add(key)
            out.append(fact)
    return out


def _other_items(fact: ListFact, text: str, all_items: list[str]) -> list[str]:
    """Items of other lists that may stand as wrong options for this one: never one of this
    list's items, a part of one, or a word the question's own passage contains."""
    return sorted(
        {
            item
            for item in all_items
            if item not in fact.items
            and not any(item in mine or mine in item for mine in fact.items)
            and item not in text
            and len(item) >= MIN_ITEM
        }
    )


def _distractors(fact: ListFact, answer: str, pool: list[str]) -> list[str]:
    """Three of the other lists' items, the same kind first ("…成本" for a cost)."""
    same = [i for i in pool if i[-2:] == answer[-2:]]
    other = [i for i in pool if i[-2:] != answer[-2:] and abs(len(i) - len(answer)) <= 3]
    rng = seeded(fact.passage.chunk_id + answer)
    picked = rng.sample(same, min(3, len(same)))
    return picked + rng.sample(other, min(3 - len(picked), len(other)))


def _concept_items(outline: Chunk) -> list[str]:
    heading, items = list_items(outline)
    return items if _is_concept_list(heading) else []


def _is_concept_list(heading: str) -> bool:
    """Tables of contents list article sections, not concepts: skip those."""
    return not re.match(r"^\s*\d+\.\s", heading) or "策略" in heading or "措施" in heading


def _outline_topic(heading: str) -> str:
    folded = to_simplified(heading)
    if "感知价值" in folded:
        return "raise_value"
    if "需求" in folded or "营销策略" in folded:
        return "kano"
    return "raise_value" if "价值" in folded else "customer_value"


def _explanation(heading: str, items: list[str]) -> str:
    return clip(f"「{heading}」共 {len(items)} 項:" + ";".join(items))


def _leaf(passage: Chunk) -> str:
    """The passage's own section heading: the context a bare "具体手段有…" needs."""
    leaf = to_simplified(passage.section).split(SECTION_SEPARATOR)[-1]
    return NUMBERING.sub("", leaf).strip()


def _folded_len(text: str) -> int:
    return len(fold(text))


def _slug(intro: str) -> str:
    return hashlib.sha1(intro.encode()).hexdigest()[:4]
