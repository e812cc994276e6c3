"""Find the indexed passage that contains a given quote, for rule-based citations.

The value engine's recommendation rules name an article and a quote; this
resolves them against the very passages the index serves, comparing in
Simplified script so a Traditional quote finds a Simplified article and back.
"""

from __future__ import annotations

from functools import lru_cache

from knowledge.models import Chunk
from knowledge.script import to_simplified
from value_engine.models import Citation


class CorpusLookup:
    def __init__(self, chunks: list[Chunk]) -> None:
        self._chunks = [c for c in chunks if not c.is_outline]
        self._folded = [to_simplified(c.text) for c in self._chunks]

    @lru_cache(maxsize=256)  # noqa: B019 (one lookup object per process)
    def find(self, doc_prefix: str, quote: str) -> Citation | None:
        needle = to_simplified(quote)
        for chunk, text in zip(self._chunks, self._folded, strict=True):
            if chunk.doc_id.startswith(doc_prefix) and needle in text:
                return Citation(
                    doc=chunk.doc_id,
                    title=chunk.title,
                    section=chunk.section,
                    text=chunk.text,
                    at=text.index(needle),  # script folding keeps one character per character
                )
        return None
