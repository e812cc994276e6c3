"""Decide whether the knowledge base covers a question: the hand-set rules.

The learned gate (`knowledge/coverage.py`) uses two of these measures as features; these
rules stay the default until the learned gate beats them on held-out sections (see
bench/answers.py).

Dense similarity alone cannot tell "客服电话是多少?" from a real question: every
Chinese sentence lands near every other. What an on-topic question always has
is a term that is much more common in these articles than in Chinese at large
(顾客价值, 满足性需求, 品牌资产); off-topic questions only share general words
(电话, 手机, 制作). jieba ships word frequencies of general Chinese, so that
ratio is computed offline, from the corpus alone, with no hand-made word list.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import jieba
from wordfreq import zipf_frequency

from knowledge.glossary import TERMS, english_terms
from knowledge.lexical import STOPWORDS, query_tokens, tokenize
from knowledge.script import han_count, to_simplified

MAX_UNKNOWN = 1  # an English question with more words the articles never use asks elsewhere
# An unknown word matters when it is uncommon in English at large (Zipf scale: "zoho" 1.7,
# "reset" 3.8, "password" 4.1; "appear" 4.7, "companies" 5.0 are how anyone asks).
MAX_SALIENT_ZIPF = 4.2
_LATIN_WORD = re.compile(r"[a-z][a-z']{2,}")
# A Latin-script name in a Chinese question: "SAP", "K-means", "A/B", "P1171", "Python".
_LATIN_NAME = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[-/+.][A-Za-z0-9]+)*")

MIN_SPECIFICITY = 5.0  # log-ratio; on-topic questions score >= 6, off-topic <= 3 here
MIN_DENSE = 0.74  # cosine of the best passage, multilingual-e5-small
# English to Chinese passages scores lower in the small model; English questions are held
# to the articles' vocabulary instead (unknown_english).
MIN_DENSE_EN = 0.70
# A Chinese question must be close to one sentence of the articles, not only to a passage:
# on our questions every answerable one reached 0.895 and every off-topic one at most 0.884
# (multilingual-e5-small; bench/data/qa_answers_extra.jsonl and the dev set).
MIN_SENTENCE_ZH = 0.89
MIN_LEXICAL_ONLY_BM25 = 5.0  # the gate's dense part when running without embeddings


@dataclass(frozen=True, slots=True)
class Relevance:
    covered: bool
    specificity: float
    best_term: str | None


_GLOSSED_CHINESE = tuple({zh for terms in TERMS.values() for zh in terms})


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

    def specificity_of(self, question: str) -> float:
        """The question's most article-specific word, on the log-ratio scale (0 if none)."""
        scored = [s for t in query_tokens(question) if (s := self.specificity(t)) is not None]
        return max(scored, default=0.0)

    def unknown_english(self, question: str) -> list[str]:
        """What an English question asks about that the articles never mention.

        Words the glossary bridges count as known when their Chinese is in the articles;
        a glossary term the articles never use (股价 for "share price") is unknown too.
        Common English words ("the article says…", "roughly how long") never count.
        """
        lowered = question.lower()
        matched = english_terms(lowered)
        unknown = [
            zh
            for term in matched
            if term in TERMS and not any(self._known(zh) for zh in TERMS[term])
            for zh in TERMS[term][:1]
        ]
        covered = " ".join(matched)
        for word in _LATIN_WORD.findall(lowered.replace("-", " ")):
            stem = word.rstrip("s").removesuffix("'")
            if word in STOPWORDS or word in covered or stem in covered:
                continue
            if self._counts.get(word) or self._counts.get(stem):
                continue
            if zipf_frequency(word, "en") <= MAX_SALIENT_ZIPF:
                unknown.append(word)
        return unknown

    def unknown_names(self, question: str) -> list[str]:
        """Latin-script names in a Chinese question that the articles never use.

        Staff write a product, tool or model in its own script ("SAP CRM 里…哪个模块",
        "用 K-means 做客户细分", "Avaya 跟 Genesys"); when the articles never use that name the
        question is about it, not about them, however theory-like its Chinese. Names the
        articles use (CRM, CPV, Kano) and glossary terms whose Chinese they use are known;
        everyday English mixed into Chinese ("這個 case") is no name.
        """
        if not han_count(question):
            return []  # an English question: `unknown_english` judges its words
        matched = {w for term in english_terms(question.lower()) for w in re.split(r"[ -]", term)}
        unknown = []
        for name in _LATIN_NAME.findall(question):
            parts = [p for p in re.split(r"[-/+.]", name.lower()) if p]
            if len(name) < 2 or all(p in matched for p in parts):
                continue
            if all(self._counts.get(p) or self._counts.get(p.rstrip("s")) for p in parts):
                continue
            if _written_as_name(name) or zipf_frequency(name.lower(), "en") <= MAX_SALIENT_ZIPF:
                unknown.append(name)  # not "這個 case", "客戶的 feedback": everyday English
        return unknown

    def names_outside_topic(self, question: str) -> bool:
        """The question's own words name something the articles never cover: a Latin-script
        name in a Chinese question, or in an English one a glossary term the articles never
        use (股价 for "share price"). Either is a whole outside topic, even in a question
        that reads as a follow-up of a covered one."""
        if han_count(question):
            return bool(self.unknown_names(question))
        return any(han_count(word) for word in self.unknown_english(question))

    def in_articles_words(self, question: str) -> str:
        """A Chinese question with the Latin names the articles write in Chinese put in
        their Chinese ("Kano 模型" -> "狩野纪昭 模型"): the small embedder does not know that
        Kano is 狩野, so the question would seem far from every sentence about him."""
        if not han_count(question):
            return question
        text = question
        for term in english_terms(question.lower()):
            if self._counts.get(term) or term not in TERMS:
                continue  # the articles write it as it is (CRM)
            chinese = next((zh for zh in TERMS[term] if self._known(zh)), None)
            if chinese is not None:
                word = rf"(?<![A-Za-z]){re.escape(term)}(?![A-Za-z])"
                text = re.sub(word, chinese, text, flags=re.I)
        return text

    def names_a_term(self, question: str) -> bool:
        """An English question that names a term of the theory the articles use."""
        return any(
            term in TERMS and any(self._known(zh) for zh in TERMS[term])
            for term in english_terms(question.lower())
        )

    def names_a_chinese_term(self, question: str) -> bool:
        """A question naming a theory term or case of the glossary that the articles use
        ("海爾的服務人員…"); an outside topic of the glossary (密码) is not one."""
        simplified = to_simplified(question)
        return any(
            zh in simplified and self._known(zh) for zh in _GLOSSED_CHINESE if han_count(zh) >= 2
        )

    def _known(self, phrase: str) -> bool:
        """The articles use the phrase, whole or in its parts (顾客 + 让渡 + 价值)."""
        tokens = tokenize(phrase)
        parts = [t for t in tokens if to_simplified(phrase).lower() != t] or tokens
        return bool(parts) and all(self._counts.get(t) for t in parts)

    def judge(
        self,
        tokens: Sequence[str],
        best_dense: float | None,
        best_bm25: float,
        question: str = "",
        best_sentence: float | None = None,
    ) -> Relevance:
        scored = [(s, t) for t in tokens if (s := self.specificity(t)) is not None]
        specificity, term = max(scored, default=(0.0, None))
        english = bool(question) and han_count(question) == 0
        if self.names_a_chinese_term(question):
            specificity = max(specificity, MIN_SPECIFICITY)  # "海爾的服務人員…": a case company
        if english:
            unknown = self.unknown_english(question)
            # A glossary term the articles never use (股价) is a whole outside topic.
            weight = sum(2 if han_count(word) else 1 for word in unknown)
            if weight > MAX_UNKNOWN:
                return Relevance(covered=False, specificity=specificity, best_term=term)
            if self.names_a_term(question):
                specificity = max(specificity, MIN_SPECIFICITY)
        if best_dense is None:
            close_enough = best_bm25 >= MIN_LEXICAL_ONLY_BM25
        else:
            close_enough = best_dense >= (MIN_DENSE_EN if english else MIN_DENSE)
        if not english and best_sentence is not None and best_sentence < MIN_SENTENCE_ZH:
            close_enough = False  # "客户投诉电话打不通怎么办?": no sentence says anything like it
        return Relevance(
            covered=specificity >= MIN_SPECIFICITY and close_enough,
            specificity=specificity,
            best_term=term,
        )


def _written_as_name(word: str) -> bool:
    """An acronym (SAP, NPS), a code (P1171), a capital inside (HubSpot, iPhone) or a joined
    name (K-means, A/B): a name whatever its frequency in English, unless it is everyday
    English in capitals (OK, CEO, AI, APP)."""
    if word.isalpha() and zipf_frequency(word.lower(), "en") > MAX_SALIENT_ZIPF:
        return False
    return bool(
        re.search(r"\d|[-/+.]", word)
        or (len(word) >= 2 and word.isupper())
        or re.search(r"[a-z][A-Z]", word)
    )
