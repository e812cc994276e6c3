"""A bank entry (one question before it is rendered per language) and its rendering.

Entries come from the curated YAML files and from the generators; both end up here, so
the validator and the bot see one shape whatever the origin.
"""

from __future__ import annotations

import hashlib
import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from knowledge.models import Chunk
from knowledge.quiz.models import QuizQuestion, QuizSource
from knowledge.script import to_simplified, to_traditional

NUMBERING = re.compile(
    r"^\s*(?:\d+(?:\.\d+)*[、.．\s]|[((][一二三四五六七八九十]+[))]|[一二三四五六七八九十]+、)\s*"
)


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
    # Validation: folded characters before the cue that count as "next to" it (None: the
    # validator's default), and after it (None: the same as before).
    window: int | None = None
    window_after: int | None = None


def list_items(outline: Chunk) -> tuple[str, list[str]]:
    """An outline passage's heading and its items, numbering removed."""
    lines = [line.strip() for line in outline.text.split("\n") if line.strip()]
    return lines[0], [NUMBERING.sub("", line).strip() for line in lines[1:]]


def seeded(key: str) -> random.Random:
    """A generator seeded by a stable key: the same bank comes out on every run."""
    return random.Random(int(hashlib.sha1(key.encode()).hexdigest()[:8], 16))


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
    entry: BankEntry,
    lang: str,
    raw: dict[str, Any],
    convert: Callable[[str], str],
    source: QuizSource,
) -> QuizQuestion:
    # Entries put the answer anywhere (curated ones first); shuffle by the entry's id (same
    # order in every language) so the answer's place says nothing, yet stays the same from
    # run to run.
    options = [convert(str(o)) for o in raw["options"]]
    order = list(range(len(options)))
    seeded(entry.id).shuffle(order)
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
