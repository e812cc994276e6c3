"""BM25 over jieba-segmented, Simplified text.

Dense vectors blur exact terms; BM25 keeps them (Kano, CRM, 80/20, 萬寶路). Both
scripts fold to Simplified before segmentation, so 顧客 and 顾客 are one token.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence

import jieba
from rank_bm25 import BM25Okapi

from knowledge.glossary import EN_TO_ZH, bridge, synonyms
from knowledge.script import to_simplified

jieba.setLogLevel(logging.WARNING)
for _terms in EN_TO_ZH.values():
    for _term in _terms:
        jieba.add_word(_term)

_WORD = re.compile(r"[\w%/.-]+", re.UNICODE)
# Function words and question words carry no topic; they must not make an
# off-topic question look relevant.
_STOPWORD_TEXT = """
的 了 是 在 和 与 及 或 而 也 就 都 又 并 等 之 其 这 那 个 些 有 为 以 于 对 从 把 被 让
向 中 上 下 什么 怎么 怎样 如何 为什么 哪些 哪个 哪 吗 呢 吧 啊 么 多少 几 是否 能否
可以 能 会 要 该 应该 请 我 你 他 她 它 我们 你们 他们 一个 一些 什么样 说明 指 叫 称为
a an the of to in on for and or is are was were be been what how why which who whom whose
do does did can could should would will shall may might must i you he she it we they me my
our your their this that these those with by from as at about into than then so not no
s t please tell explain describe mean means meaning according view
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())


def tokenize(text: str) -> list[str]:
    simplified = to_simplified(text).lower()
    tokens: list[str] = []
    for token in jieba.lcut_for_search(simplified):
        token = token.strip()
        if not token or token in STOPWORDS or not _WORD.fullmatch(token):
            continue
        tokens.append(token)
    return tokens


def query_tokens(question: str) -> list[str]:
    """The question's own tokens, the Chinese terms for its English domain terms, and the
    articles' other names for its Chinese ones."""
    tokens = tokenize(question)
    for term in bridge(question) + synonyms(to_simplified(question)):
        tokens.extend(tokenize(term))
    return tokens


class LexicalIndex:
    def __init__(self, tokenized: Sequence[Sequence[str]]) -> None:
        self._bm25 = BM25Okapi([list(t) or ["∅"] for t in tokenized])
        self._vocab = frozenset(tok for doc in tokenized for tok in doc)

    def scores(self, tokens: Iterable[str]) -> list[float]:
        known = [t for t in tokens if t in self._vocab]
        if not known:
            return [0.0] * self._bm25.corpus_size
        return [float(s) for s in self._bm25.get_scores(known)]
