"""The question bank: curated YAML questions plus questions generated from the corpus's lists.

Every question is tied to an indexed passage. Curated entries name an article and a quote
(resolved against the passages, so a question can never cite text that is not in the
index) and a cue: the words of the passage that the question paraphrases. Chinese
entries come out in both scripts through OpenCC; English ones where the entry has them.
"""

from __future__ import annotations

import hashlib
import random
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from knowledge.models import Chunk
from knowledge.quiz.models import QuizQuestion, QuizSource
from knowledge.script import to_simplified, to_traditional

BANK_DIR = Path(__file__).resolve().parent / "bank"
_NUMBERING = re.compile(
    r"^\s*(?:\d+(?:\.\d+)*[、.．\s]|[((][一二三四五六七八九十]+[))]|[一二三四五六七八九十]+、)\s*"
)
GENERATED_PER_LIST = 6
MIN_DISTRACTOR_CHARS = 6


@dataclass(frozen=True, slots=True)
class BankEntry:
    """One question before it is rendered per language, with what validation needs."""

    id: str
    topic: str
    difficulty: int
    passage: Chunk | None
    cue: str
    variants: dict[str, dict[str, Any]]  # "zh" (either script) and optionally "en"
    origin: str  # file name, or "generated"
    window: int = 0  # validation: characters around the cue (0: the default)


def load_entries(chunks: list[Chunk], bank_dir: Path = BANK_DIR) -> list[BankEntry]:
    passages = [c for c in chunks if not c.is_outline]
    entries = []
    for path in sorted(bank_dir.glob("*.yaml")):
        for raw in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            source = raw.get("source", {})
            entries.append(
                BankEntry(
                    id=str(raw["id"]),
                    topic=str(raw.get("topic", "general")),
                    difficulty=int(raw.get("difficulty", 1)),
                    passage=find_passage(
                        passages, str(source.get("doc", "")), str(source.get("quote", ""))
                    ),
                    cue=str(raw.get("cue", "")),
                    variants={k: raw[k] for k in ("zh", "en") if k in raw},
                    origin=path.name,
                    window=int(raw.get("window", 0)),
                )
            )
    return entries + generated_entries(chunks)


def find_passage(passages: list[Chunk], doc_prefix: str, quote: str) -> Chunk | None:
    needle = to_simplified(quote)
    if not needle:
        return None
    for chunk in passages:
        if chunk.doc_id.startswith(doc_prefix) and needle in to_simplified(chunk.text):
            return chunk
    return None


def list_items(outline: Chunk) -> tuple[str, list[str]]:
    """An outline passage's heading and its items, numbering removed."""
    lines = [line.strip() for line in outline.text.split("\n") if line.strip()]
    return lines[0], [_NUMBERING.sub("", line).strip() for line in lines[1:]]


def generated_entries(chunks: list[Chunk]) -> list[BankEntry]:
    """ "Which of these is one of <list>?" for the corpus's numbered lists of four or more
    items; the wrong options are items of the other lists (sibling concepts), so each is
    plausible but not on the asked list."""
    outlines = [c for c in chunks if c.is_outline]
    lists = []
    for outline in outlines:
        heading, items = list_items(outline)
        if len(items) >= 4 and _is_concept_list(heading):
            lists.append((outline, _NUMBERING.sub("", heading).strip(), items))
    everything = [_list_of(c) for c in outlines]
    entries = []
    for outline, heading, items in lists:
        # Lists of the same article overlap in meaning ("ways to create value" and "ways to
        # raise perceived value"), so wrong options come from other articles' lists only.
        others = [
            item
            for other, (_, its) in zip(outlines, everything, strict=True)
            if other.doc_id != outline.doc_id and len(its) >= 3
            for item in its
            if len(item) >= MIN_DISTRACTOR_CHARS  # "华为" or "制造业" would be nonsense here
        ]
        rng = random.Random(int(hashlib.sha1(outline.chunk_id.encode()).hexdigest()[:8], 16))
        for n, item in enumerate(rng.sample(items, min(GENERATED_PER_LIST, len(items)))):
            distractors = rng.sample(others, 3)
            options = [item, *distractors]
            order = list(range(4))
            rng.shuffle(order)
            shuffled = [options[i] for i in order]
            entries.append(
                BankEntry(
                    id=f"list-{outline.doc_id[:3]}-{outline.position}-{n + 1}",
                    topic=_topic_for(heading),
                    difficulty=2,
                    passage=outline,
                    cue=heading,
                    variants={
                        "zh": {
                            "question": f"下列哪一項是文章「{heading}」一節列出的內容?",
                            "options": shuffled,
                            "correct": order.index(0),
                            "explanation": _list_explanation(heading, items),
                        }
                    },
                    origin="generated",
                )
            )
    return entries


def _list_of(outline: Chunk) -> tuple[str, list[str]]:
    heading, items = list_items(outline)
    return heading, items if _is_concept_list(heading) else []


def _is_concept_list(heading: str) -> bool:
    """Tables of contents list article sections, not concepts: skip those."""
    return not re.match(r"^\s*\d+\.\s", heading) or "策略" in heading or "措施" in heading


def _topic_for(heading: str) -> str:
    folded = to_simplified(heading)
    if "感知价值" in folded:
        return "raise_value"
    if "需求" in folded or "营销策略" in folded:
        return "kano"
    return "raise_value" if "价值" in folded else "customer_value"


def _list_explanation(heading: str, items: list[str]) -> str:
    text = f"「{heading}」共 {len(items)} 項:" + ";".join(items)
    return text if len(text) <= 200 else text[:199] + "…"


def render(entry: BankEntry) -> list[QuizQuestion]:
    """The entry in zh-Hant, zh-Hans and (if written) English."""
    if entry.passage is None:
        return []
    source = QuizSource(
        doc=entry.passage.doc_id, section=entry.passage.section, text=entry.passage.text
    )
    out = []
    zh = entry.variants.get("zh")
    if zh:
        for lang, convert in (("zh-Hant", to_traditional), ("zh-Hans", to_simplified)):
            out.append(_question(entry, lang, zh, convert, source))
    en = entry.variants.get("en")
    if en:
        out.append(_question(entry, "en", en, lambda s: s, source))
    return out


def _question(
    entry: BankEntry, lang: str, raw: dict[str, Any], convert: Any, source: QuizSource
) -> QuizQuestion:
    # Curated entries put the answer first; shuffle by the entry's id (same order in every
    # language) so the answer's place says nothing, yet stays the same from run to run.
    options = [convert(str(o)) for o in raw["options"]]
    order = list(range(len(options)))
    random.Random(int(hashlib.sha1(entry.id.encode()).hexdigest()[:8], 16)).shuffle(order)
    return QuizQuestion(
        id=f"{entry.id}.{lang}",
        lang=lang,
        topic=entry.topic,
        difficulty=entry.difficulty,
        question=convert(str(raw["question"])),
        options=tuple(options[i] for i in order),
        correct=order.index(int(raw["correct"])),
        explanation=convert(str(raw["explanation"])),
        source=QuizSource(
            doc=source.doc,
            section=convert(source.section) if lang != "en" else source.section,
            text=convert(source.text) if lang != "en" else source.text,
        ),
    )


def load_bank(chunks: list[Chunk], bank_dir: Path = BANK_DIR) -> list[QuizQuestion]:
    return [q for entry in load_entries(chunks, bank_dir) for q in render(entry)]
