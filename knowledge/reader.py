"""Read the articles sentence by sentence: which sentence answers, and where it stands.

Retrieval ranks passages; an answer is made of sentences. The reader ties the two:
every sentence of the document model knows the passage it is cited from and its
stored vector, so the sentence that best answers a question can be found across
the best passages and their neighbours, then read together with the list or
paragraph it belongs to.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from knowledge.document import Document
from knowledge.index import KnowledgeIndex
from knowledge.lexical import tokenize
from knowledge.script import to_simplified

DISTINCTIVE_SHARE = 0.05
HEADING_WEIGHT = 0.5  # a section's heading for its later sentences; 1 for its opening ones
OPENING = 2  # sentences
SHORT_PASSAGE = 2  # sentences


@dataclass(frozen=True, slots=True)
class SentenceRef:
    doc_id: str
    index: int  # in the document model


class Reader:
    def __init__(self, index: KnowledgeIndex, documents: dict[str, Document]) -> None:
        self.index = index
        self.documents = documents
        self.refs: list[SentenceRef] = []
        self.chunk_of: list[int] = []  # per ref: the passage that cites it
        self.vector_row: list[int] = []  # per ref: row in the index's sentence vectors, or -1
        self.tokens: list[frozenset[str]] = []
        self.heading_tokens: list[frozenset[str]] = []  # the section a sentence stands in
        self.heading_weight: list[float] = []
        self._ref_id: dict[tuple[str, int], int] = {}
        self._map_chunks()
        self.document_frequency = Counter(t for tokens in self.tokens for t in tokens)
        self.chunk_refs: dict[int, list[int]] = {}
        for ref_id, chunk in enumerate(self.chunk_of):
            self.chunk_refs.setdefault(chunk, []).append(ref_id)

    def ref_id(self, doc_id: str, index: int) -> int | None:
        return self._ref_id.get((doc_id, index))

    def distinctive(self, term: str) -> bool:
        """A term few sentences use: naming it points at one place ("核心運作"), unlike
        words every passage has ("企業", "顧客")."""
        return self.document_frequency[term] <= max(1, len(self.refs) * DISTINCTIVE_SHARE)

    def simplified(self, ref_id: int) -> str:
        ref = self.refs[ref_id]
        return self.documents[ref.doc_id].sentences[ref.index].simplified

    def _map_chunks(self) -> None:
        """Find each passage's sentences in its document, in article order.

        Passages are cut from the same walk of the same model, so body passages meet
        their sentences in order; an outline passage lists its sub-headings, which
        stand later in the article and do not move the cursor.
        """
        cursor: dict[str, int] = {}
        for chunk_idx, chunk in enumerate(self.index.chunks):
            doc = self.documents.get(chunk.doc_id)
            if doc is None:
                continue
            start = cursor.get(chunk.doc_id, 0)
            heading = chunk.is_outline
            found = _find_run(doc, chunk.sentences, start, heading)
            if found is None:
                continue
            if not heading:
                cursor[chunk.doc_id] = found + len(chunk.sentences)
            row0 = self.index.sentence_offsets[chunk_idx]
            for k in range(len(chunk.sentences)):
                at = doc.heading_index(chunk.sentences[k]) if heading else found + k
                if at is None:
                    continue
                key = (chunk.doc_id, at)
                if key in self._ref_id:
                    continue
                self._ref_id[key] = len(self.refs)
                self.refs.append(SentenceRef(*key))
                self.chunk_of.append(chunk_idx)
                has_vectors = self.index.sentence_vectors is not None
                self.vector_row.append(row0 + k if has_vectors else -1)
                sentence = doc.sentences[at]
                self.tokens.append(frozenset(tokenize(sentence.simplified)))
                leaf = sentence.section[-1] if sentence.section else ""
                self.heading_tokens.append(frozenset(tokenize(to_simplified(leaf))))
                self.heading_weight.append(_heading_weight(doc, at))

    def best_cosine(self, query_vector: np.ndarray) -> float | None:
        """How close the closest sentence of the articles is to the question."""
        vectors = self.index.sentence_vectors
        if vectors is None or not len(vectors):
            return None
        return float(np.max(vectors @ query_vector))

    def scores(
        self,
        query_vector: np.ndarray | None,
        query_terms: set[str],
        passage_cosine: dict[int, float] | None = None,
    ) -> np.ndarray:
        """Cosine to the question (scaled) plus the share of the question's terms present,
        in the sentence and in the heading of its section (in full for the sentences that
        open it, at half weight further on): in a Q&A article the heading is the question
        ("請簡述顧客價值的特徵") and the body only the answer ("層次性、動態性、關系性").
        For the same reason a sentence of a short passage is as close to the question as
        its passage (heading included) is."""
        n = len(query_terms) or 1
        overlap = np.array(
            [
                len(query_terms & t) / n + w * len(query_terms & h) / n
                for t, h, w in zip(
                    self.tokens, self.heading_tokens, self.heading_weight, strict=True
                )
            ],
            dtype=np.float64,
        )
        vectors = self.index.sentence_vectors
        if query_vector is None or vectors is None:
            return overlap
        rows = np.asarray(self.vector_row)
        cosine = np.asarray(vectors[rows] @ query_vector, dtype=np.float64)
        for chunk_idx, passage in (passage_cosine or {}).items():
            if len(self.index.chunks[chunk_idx].sentences) <= SHORT_PASSAGE:
                for ref in self.chunk_refs.get(chunk_idx, []):
                    cosine[ref] = max(cosine[ref], passage)
        return cosine * 4.0 + overlap


def _find_run(doc: Document, sentences: tuple[str, ...], start: int, heading: bool) -> int | None:
    if not sentences:
        return None
    if heading:
        return doc.heading_index(sentences[0])
    for i in range(start, len(doc.sentences) - len(sentences) + 1):
        if doc.sentences[i].paragraph < 0:
            continue
        if all(doc.sentences[i + k].text == sentences[k] for k in range(len(sentences))):
            return i
    return None


def _heading_weight(doc: Document, index: int) -> float:
    sentence = doc.sentences[index]
    if sentence.paragraph < 0:
        return 0.0  # a heading is its own section's name
    return 1.0 if index in doc.section_sentences(sentence.section)[:OPENING] else HEADING_WEIGHT
