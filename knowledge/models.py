"""Typed objects that cross the knowledge layer's boundary.

The bot and the CLI only ever see these; no Telegram or LangChain type leaks out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

# How an answer's text cites its sources: "…組成。 [1]". One pattern for every reader of it.
CITATION_MARK = re.compile(r"\[(\d+)\]")


class Lang(StrEnum):
    """Reply languages: the two Chinese scripts are distinct audiences, not one."""

    ZH_HANT = "zh-Hant"
    ZH_HANS = "zh-Hans"
    EN = "en"


@dataclass(frozen=True, slots=True)
class Block:
    """One unit of a cleaned article: a heading or a paragraph.

    A heading with empty text closes the open sections without naming a new one.
    """

    kind: str  # "heading" | "para"
    text: str
    level: int = 0  # headings only: smaller is more general


@dataclass(frozen=True, slots=True)
class CleanDocument:
    doc_id: str
    title: str
    blocks: tuple[Block, ...]


@dataclass(frozen=True, slots=True)
class Chunk:
    """A passage that can be cited on its own.

    `text` keeps the article's wording and script; `search_text` is what the
    retrievers see (Simplified, with the section heading as context).
    """

    chunk_id: str
    doc_id: str
    title: str
    section: str
    position: int
    text: str
    sentences: tuple[str, ...]
    search_text: str
    is_outline: bool = False  # a heading with its list of sub-headings


@dataclass(frozen=True, slots=True)
class Passage:
    """A retrieved chunk with the score that ranked it."""

    chunk: Chunk
    score: float
    dense: float = 0.0
    lexical: float = 0.0


@dataclass(frozen=True, slots=True)
class Source:
    doc: str
    title: str
    section: str
    text: str
    score: float

    def as_dict(self) -> dict[str, object]:
        return {
            "doc": self.doc,
            "title": self.title,
            "section": self.section,
            "text": self.text,
            "score": round(self.score, 4),
        }


@dataclass(frozen=True, slots=True)
class Answer:
    question: str
    answered: bool
    text: str
    lang: Lang
    sources: tuple[Source, ...] = field(default_factory=tuple)
    composer: str = "extractive"

    def as_json_dict(self) -> dict[str, object]:
        """The stable `cvm ask --json` contract: other tools parse exactly these keys."""
        return {
            "question": self.question,
            "answered": self.answered,
            "answer": self.text,
            "lang": self.lang.value,
            "sources": [s.as_dict() for s in self.sources],
        }


@dataclass(frozen=True, slots=True)
class PriorExchange:
    """The chat's previous question and answer, so follow-ups can lean on them."""

    question: str
    answer: str
    lang: Lang
