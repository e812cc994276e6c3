"""What the generators share: reading passages as sentences, topics, masking, entries.

Generators read the corpus in Simplified Chinese (one script to match patterns against);
`render` turns every entry into both scripts, so nothing here needs Traditional text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from knowledge.document import split_sentences
from knowledge.models import Chunk
from knowledge.quiz.entry import BankEntry
from knowledge.script import to_simplified

MAX_EXPLANATION = 200
BLANK = "____"
# Keywords to topics, first match wins: the specific ideas before the general ones.
_TOPICS = (
    (("感知价值", "感知利得", "感知利失"), "perceived_value"),
    (("二八", "80%", "20%"), "pareto"),
    (("生命周期", "终身价值"), "clv"),
    (("资产",), "customer_equity"),
    (("需求", "层次"), "kano"),
    (("总价值", "总成本", "让渡", "成本"), "delivered_value"),
    (("提升", "提高", "创造", "策略"), "raise_value"),
)


def passages(chunks: list[Chunk]) -> list[Chunk]:
    return [c for c in chunks if not c.is_outline]


def sentences(chunk: Chunk) -> Iterator[str]:
    """The passage's sentences in Simplified, never across a line (headings stand alone)."""
    for line in to_simplified(chunk.text).split("\n"):
        yield from split_sentences(line)


def topic_for(text: str, default: str = "customer_value") -> str:
    folded = to_simplified(text)
    for words, topic in _TOPICS:
        if any(w in folded for w in words):
            return topic
    return default


def clip(text: str, limit: int = MAX_EXPLANATION) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def mask(text: str, *names: str) -> str:
    """Blank out the answer wherever the question's own text would give it away."""
    for name in sorted(names, key=len, reverse=True):
        if name:
            text = text.replace(name, BLANK)
    return text


def strip_glosses(text: str) -> str:
    """Drop parenthesised glosses ("需求(Q1)", "(Customer Perceived Value,CPV)")."""
    return re.sub(r"[((][^()()]*[))]", "", text)


def entry(
    *,
    id: str,
    topic: str,
    difficulty: int,
    passage: Chunk,
    cue: str,
    question: str,
    answer: str,
    distractors: list[str],
    explanation: str,
    window: int | None = None,
    window_after: int | None = None,
) -> BankEntry:
    """A generated entry; the answer goes first and `render` shuffles it into place."""
    return BankEntry(
        id=id,
        topic=topic,
        difficulty=difficulty,
        passage=passage,
        cue=cue,
        variants={
            "zh": {
                "question": question,
                "options": [answer, *distractors],
                "correct": 0,
                "explanation": clip(explanation),
            }
        },
        origin="generated",
        window=window,
        window_after=window_after,
    )


def short_id(chunk: Chunk) -> str:
    return f"{chunk.doc_id[:3]}-{chunk.position}"
