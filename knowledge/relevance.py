"""Decide whether the knowledge base covers a question at all.

Dense similarity alone cannot tell "客服电话是多少?" from a real question: every
Chinese sentence lands near every other. What an on-topic question always has
is a term that is much more common in these articles than in Chinese at large
(顾客价值, 满足性需求, 品牌资产); off-topic questions only share general words
(电话, 手机, 制作). jieba ships word frequencies of general Chinese, so that
ratio is computed offline, from the corpus alone, with no hand-made word list.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import jieba

from knowledge.script import han_count

MIN_SPECIFICITY = 5.0  # log-ratio; on-topic questions score >= 6, off-topic <= 3 here
MIN_DENSE = 0.74  # cosine of the best passage, multilingual-e5-small
MIN_LEXICAL_ONLY_BM25 = 5.0  # the gate's dense part when running without embeddings


@dataclass(frozen=True, slots=True)
class Relevance:
    covered: bool
    specificity: float
    best_term: str | None


class DomainVocabulary:
    def __init__(self, tokenized_passages: Iterable[Sequence[str]]) -> None:
        jieba.dt.check_initialized()
        self._general = jieba.dt.FREQ
        self._general_total = float(jieba.dt.total)
        self._counts = Counter(t for passage in tokenized_passages for t in passage)
        self._total = float(sum(self._counts.values())) or 1.0

    def specificity(self, token: str) -> float | None:
        """log(frequency here / frequency in general Chinese); None for tokens it cannot judge.

        Only Han words of two or more characters count: single characters and
        Latin tokens have no meaningful general frequency in jieba's dictionary.
        """
        if han_count(token) < 2 or len(token) != han_count(token):
            return None
        here = self._counts.get(token, 0)
        if not here:
            return None
        general = self._general.get(token, 0) + 1
        return math.log((here / self._total) / (general / self._general_total))

    def judge(self, tokens: Sequence[str], best_dense: float | None, best_bm25: float) -> Relevance:
        scored = [(s, t) for t in tokens if (s := self.specificity(t)) is not None]
        specificity, term = max(scored, default=(0.0, None))
        if best_dense is None:
            close_enough = best_bm25 >= MIN_LEXICAL_ONLY_BM25
        else:
            close_enough = best_dense >= MIN_DENSE
        return Relevance(
            covered=specificity >= MIN_SPECIFICITY and close_enough,
            specificity=specificity,
            best_term=term,
        )
