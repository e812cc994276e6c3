"""Do the articles cover a question? A gate learned from what retrieval found.

The old gate held English questions to the articles' vocabulary and Chinese ones to one
cosine threshold set on about sixty questions; it declined plain English questions and
answered near misses that share a company's name with the articles ("華為的股價現在多少").
This one judges by what the ranker and retrieval found, the same way in every language:
how likely the best sentence holds the answer, how close the closest sentence and passage
are, whether dense and lexical retrieval agree, and how much of the question's own
vocabulary (its asked attribute: a share price, a product's settings, a year) the
articles or the best paragraph use at all. A logistic regression trained by
`bench/train_ranker.py` on answerable questions and near misses weighs these; its
threshold is the one that declined every off-topic validation question at the smallest
loss of answerable ones.
"""

from __future__ import annotations

import math

import numpy as np

from knowledge.lexical import query_tokens
from knowledge.models import Lang, Passage
from knowledge.ranker import SentenceFeatures
from knowledge.relevance import DomainVocabulary
from knowledge.script import han_count

GATE_FEATURES: tuple[str, ...] = (
    "best_score",  # the ranker's log-odds for its best sentence
    "score_gap",  # best minus the second best
    "best_cosine",  # the closest sentence to the question, whatever the ranker says
    "best_dense",  # the closest passage
    "log_bm25",
    "agree",  # dense and lexical retrieval rank the same passage first
    "specificity",  # how much more the articles use the question's rarest word than Chinese does
    "unknown_share",  # idf-weighted share of the question's words the articles never use
    "best_paragraph_share",  # idf-weighted share of its words in the best sentence's paragraph
    "unknown_english",  # English words the articles never use, uncommon in English at large
    "english",
    "english_cosine",  # English reaches Chinese sentences at lower cosines: its own slope
    "english_best_score",
    "log_terms",
)


class CoverageFeatures:
    """Question-level facts for the gate, from a scored draft."""

    def __init__(self, vocabulary: DomainVocabulary, sentences: SentenceFeatures) -> None:
        self._vocabulary = vocabulary
        self._sentences = sentences  # its IDF and paragraphs, the ranker's own

    def row(
        self,
        question: str,
        lang: Lang,
        passages: tuple[Passage, ...],
        scores: np.ndarray,
        cosine: np.ndarray,
    ) -> np.ndarray:
        terms = set(query_tokens(question))
        english = lang is Lang.EN or han_count(question) == 0
        if english:
            # The articles are Chinese: an English question's own words are judged by
            # unknown_english, its Chinese terms (the glossary's) here.
            terms = {t for t in terms if han_count(t)} or terms
        idf = {t: self._sentences.idf(t) for t in terms}
        total = sum(idf.values()) or 1.0
        unknown = sum(w for t, w in idf.items() if not self._sentences.frequency(t)) / total
        if len(scores):
            order = np.argsort(-scores, kind="stable")
            best = float(scores[order[0]])
            second = float(scores[order[1]]) if len(order) > 1 else best
            paragraph = self._sentences.paragraph_tokens[int(order[0])]
            in_paragraph = sum(w for t, w in idf.items() if t in paragraph) / total
        else:
            best, second, in_paragraph = -10.0, -10.0, 0.0
        dense_first = max(passages, key=lambda p: p.dense) if passages else None
        lexical_first = max(passages, key=lambda p: p.lexical) if passages else None
        agree = float(dense_first is not None and dense_first is lexical_first)
        specificity = self._vocabulary.specificity_of(question)
        unknown_english = len(self._vocabulary.unknown_english(question)) if english else 0
        return np.array(
            [
                best,
                best - second,
                float(cosine.max()) if len(cosine) else 0.0,
                max((p.dense for p in passages), default=0.0),
                math.log1p(max((p.lexical for p in passages), default=0.0)),
                agree,
                specificity,
                unknown,
                in_paragraph,
                float(unknown_english),
                float(english),
                float(english) * (float(cosine.max()) if len(cosine) else 0.0),
                float(english) * best,
                math.log1p(len(terms)),
            ],
            dtype=np.float64,
        )
