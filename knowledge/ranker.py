"""Which sentence of the articles answers a question: a model learned from labelled data.

Hand-set weights over a dozen signals were shaped on a hundred questions and held on about
half of new ones. The same signals are now features of a logistic regression trained by
`bench/train_ranker.py` on questions written from the articles, each labelled with the
sentences that hold its answer, and cross-validated by article section. The weights ship
as `knowledge/data/ranker.json`; applying them is one matrix product, so answering needs
neither scikit-learn nor anything the training used.

A score is the log-odds that a sentence holds the answer, so "as likely as not" (0) is
the natural line for a second thought to join the answer, not a margin tuned by hand.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from knowledge.answer_plan import Draft, named_article
from knowledge.document import announces_items, inline_items
from knowledge.glossary import bridge
from knowledge.lexical import query_tokens
from knowledge.models import Lang
from knowledge.question import defines
from knowledge.reader import Reader
from knowledge.script import to_simplified

WEIGHTS = Path(__file__).resolve().parent / "data" / "ranker.json"

NUMBER = re.compile(r"\d|[一二三四五六七八九十百千万]+(?:年|位|倍|磅|英里|美元|家|个百分点|%)")
EQUATION = re.compile(r"[A-Za-z]\w{0,3}\s*(?:\([^)]{1,20}\))?\s*=")
_CUES: dict[str, re.Pattern[str]] = {
    "why": re.compile(r"因为|因此|所以|由于|原因|在于|关键|导致|进而|引起|源于|来源于|来自"),
    "case": re.compile(r"例如|比如|如|案例|公司|企业"),
    "how": re.compile(r"通过|要|应|必须|首先|方法|策略|措施"),
    "definition": re.compile(r"是指|指的是|就是|即|定义为|称为|认为|指"),
}
_KINDS = ("definition", "list", "how", "why", "case", "number", "comparison", "other")

FEATURES: tuple[str, ...] = (
    "cosine",
    "cosine_gap",  # below the best sentence's cosine for this question
    "cosine_rank",  # 1 / (1 + rank by cosine)
    "neighbour_cosine",  # the best cosine of the sentences around it in its paragraph
    "overlap",
    "overlap_idf",
    "heading_idf",
    "heading_opening",  # heading overlap for a section's opening sentences
    "paragraph_idf",
    "passage_fused",  # the retrieval score of its passage, scaled 0..1 within the question
    "passage_dense",
    "retrieved",
    "passage_rank",  # 1 / (1 + rank) of its passage
    "defines_term",
    "defines_subject",
    "named_article",
    "names_case",
    "number_asked",
    "equation_asked",
    "is_heading",
    "is_lead",
    "in_list",
    "list_lead",  # the lead-in of a list, for a list question
    "inline_list",
    "first_of_paragraph",
    "log_length",
    "context",  # in the paragraphs the previous answer quoted (a follow-up)
    *(f"cue_{kind}" for kind in _CUES),
    *(f"kind_{kind}" for kind in _KINDS),
    "english",
)


@dataclass(frozen=True, slots=True)
class LinearModel:
    """Standardised features, coefficients and intercept of a logistic regression."""

    names: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float

    def score(self, matrix: np.ndarray) -> np.ndarray:
        standardised = (matrix - self.mean) / self.scale
        return np.asarray(standardised @ self.coef + self.intercept, dtype=np.float64)

    def as_dict(self) -> dict[str, object]:
        return {
            "features": list(self.names),
            "mean": [round(float(x), 8) for x in self.mean],
            "scale": [round(float(x), 8) for x in self.scale],
            "coef": [round(float(x), 8) for x in self.coef],
            "intercept": round(self.intercept, 8),
        }

    @classmethod
    def from_dict(cls, data: dict[str, object], expected: tuple[str, ...]) -> LinearModel:
        names = tuple(str(name) for name in data["features"])  # type: ignore[attr-defined]
        if names != expected:
            raise ValueError(f"model trained on other features: {names} != {expected}")
        return cls(
            names=names,
            mean=np.asarray(data["mean"], dtype=np.float64),
            scale=np.asarray(data["scale"], dtype=np.float64),
            coef=np.asarray(data["coef"], dtype=np.float64),
            intercept=float(data["intercept"]),  # type: ignore[arg-type]
        )


def load_models(path: Path = WEIGHTS) -> dict[str, dict[str, object]]:
    data: dict[str, dict[str, object]] = json.loads(path.read_text(encoding="utf-8"))
    return data


class SentenceFeatures:
    """Per-sentence facts that do not depend on the question, computed once."""

    def __init__(self, reader: Reader) -> None:
        self.reader = reader
        n = len(reader.refs)
        self.size = n
        texts = [reader.simplified(ref) for ref in range(n)]
        self.texts = texts
        docs = [reader.documents[r.doc_id] for r in reader.refs]
        sentences = [doc.sentences[r.index] for doc, r in zip(docs, reader.refs, strict=True)]
        self.is_heading = np.array([s.paragraph < 0 for s in sentences], dtype=np.float64)
        self.is_lead = np.array([announces_items(s.text) for s in sentences], dtype=np.float64)
        membership = [doc.membership.get(r.index) for doc, r in zip(docs, reader.refs, strict=True)]
        self.in_list = np.array([m is not None and m[1] >= 0 for m in membership], dtype=np.float64)
        self.list_lead = np.array(
            [m is not None and m[1] == -1 for m in membership], dtype=np.float64
        )
        self.inline_list = np.array([bool(inline_items(t)) for t in texts], dtype=np.float64)
        self.first = np.array(
            [
                s.paragraph >= 0 and doc.paragraph_of(r.index)[0] == r.index
                for s, doc, r in zip(sentences, docs, reader.refs, strict=True)
            ],
            dtype=np.float64,
        )
        self.log_length = np.log1p([len(t) for t in texts])
        self.has_number = np.array([bool(NUMBER.search(t)) for t in texts], dtype=np.float64)
        self.has_equation = np.array([bool(EQUATION.search(t)) for t in texts], dtype=np.float64)
        self.cues = {
            k: np.array([bool(p.search(t)) for t in texts], dtype=np.float64)
            for k, p in _CUES.items()
        }
        self.doc_ids = [r.doc_id for r in reader.refs]
        # Neighbours in a paragraph: a sentence is read with the ones around it.
        self.paragraph_key = [
            (r.doc_id, s.paragraph) for r, s in zip(reader.refs, sentences, strict=True)
        ]
        groups: dict[tuple[str, int], list[int]] = {}
        for ref, key in enumerate(self.paragraph_key):
            if key[1] >= 0:
                groups.setdefault(key, []).append(ref)
        self.paragraph_members = [
            groups.get(key, [ref]) for ref, key in enumerate(self.paragraph_key)
        ]
        self.paragraph_tokens = [
            frozenset().union(*(reader.tokens[m] for m in members))
            for members in self.paragraph_members
        ]
        self._df = reader.document_frequency

    def frequency(self, term: str) -> int:
        """How many sentences of the articles use `term`."""
        return self._df.get(term, 0)

    def idf(self, term: str) -> float:
        return math.log((self.size + 1.0) / (self.frequency(term) + 1.0))

    def matrix(self, draft: Draft, vector: np.ndarray | None) -> np.ndarray:
        """One row per sentence, one column per name in FEATURES."""
        reader = self.reader
        n = self.size
        query = draft.question if draft.context else draft.retrieval_query
        terms = {t for t in query_tokens(query)}
        weights = {t: self.idf(t) for t in terms}
        total_idf = sum(weights.values()) or 1.0
        count = len(terms) or 1
        overlap = np.zeros(n)
        overlap_idf = np.zeros(n)
        heading_idf = np.zeros(n)
        paragraph_idf = np.zeros(n)
        for ref in range(n):
            shared = terms & reader.tokens[ref]
            overlap[ref] = len(shared) / count
            overlap_idf[ref] = sum(weights[t] for t in shared) / total_idf
            heading_idf[ref] = (
                sum(weights[t] for t in terms & reader.heading_tokens[ref]) / total_idf
            )
            paragraph_idf[ref] = (
                sum(weights[t] for t in terms & self.paragraph_tokens[ref]) / total_idf
            )
        heading_opening = heading_idf * np.asarray(reader.heading_weight)
        cosine = np.zeros(n)
        if vector is not None and reader.index.sentence_vectors is not None:
            rows = np.asarray(reader.vector_row)
            cosine = np.asarray(reader.index.sentence_vectors[rows] @ vector, dtype=np.float64)
        order = np.argsort(-cosine, kind="stable")
        rank = np.empty(n)
        rank[order] = np.arange(n)
        neighbour = np.array(
            [max(cosine[m] for m in members) for members in self.paragraph_members]
        )
        passage_fused = np.zeros(n)
        passage_dense = np.zeros(n)
        retrieved = np.zeros(n)
        passage_rank = np.zeros(n)
        if not draft.context:
            fused = [p.score for p in draft.passages]
            low, high = (min(fused), max(fused)) if fused else (0.0, 0.0)
            for position, passage in enumerate(draft.passages):
                chunk = reader.index.position[passage.chunk.chunk_id]
                scaled = (passage.score - low) / (high - low) if high > low else 1.0
                for ref in reader.chunk_refs.get(chunk, []):
                    if retrieved[ref]:
                        continue
                    retrieved[ref] = 1.0
                    passage_fused[ref] = scaled
                    passage_dense[ref] = passage.dense
                    passage_rank[ref] = 1.0 / (1.0 + position)
        intent = draft.intent
        subjects = tuple(t for t in terms if reader.distinctive(t) and len(t) >= 2)
        defines_term = np.zeros(n)
        defines_subject = np.zeros(n)
        names_case = np.zeros(n)
        for ref, text in enumerate(self.texts):
            if intent.definition_terms and defines(text, intent.definition_terms):
                defines_term[ref] = 1.0
            if subjects and defines(text, subjects):
                defines_subject[ref] = 1.0
            if intent.cases and any(c in text for c in intent.cases):
                names_case[ref] = 1.0
        named = named_article(query, terms, self.reader.documents)
        in_named = np.array([d == named for d in self.doc_ids], dtype=np.float64)
        context = np.zeros(n)
        if draft.context:
            said = to_simplified(draft.context)
            for ref, text in enumerate(self.texts):
                if text in said:
                    context[self.paragraph_members[ref]] = 1.0
        kind = intent.kind if intent.kind in _KINDS else "other"
        asks_number = float(kind == "number")
        asks_formula = float(kind in ("number", "definition"))
        columns = [
            cosine,
            cosine - (cosine.max() if n else 0.0),
            1.0 / (1.0 + rank),
            neighbour,
            overlap,
            overlap_idf,
            heading_idf,
            heading_opening,
            paragraph_idf,
            passage_fused,
            passage_dense,
            retrieved,
            passage_rank,
            defines_term,
            defines_subject,
            in_named,
            names_case,
            self.has_number * asks_number,
            self.has_equation * asks_formula,
            self.is_heading,
            self.is_lead,
            self.in_list,
            self.list_lead * float(intent.wants_list),
            self.inline_list * float(intent.wants_list),
            self.first,
            self.log_length,
            context,
            *(self.cues[k] * float(kind == k) for k in _CUES),
            *(np.full(n, float(kind == k)) for k in _KINDS),
            np.full(n, float(draft.lang is Lang.EN)),
        ]
        return np.column_stack(columns)


def query_vector(embedder: object, query: str, lang: Lang) -> np.ndarray | None:
    """The question's vector; an English question's with its Chinese terms added, since the
    articles are Chinese and a small multilingual model carries terms further than prose."""
    if embedder is None:
        return None
    vector = np.asarray(embedder.embed_query(query), dtype=np.float64)  # type: ignore[attr-defined]
    if lang is Lang.EN:
        bridged = " ".join(bridge(query))
        if bridged:
            vector = vector + embedder.embed_query(bridged)  # type: ignore[attr-defined]
            vector = vector / (np.linalg.norm(vector) or 1.0)
    return vector
