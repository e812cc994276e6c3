"""The one entry point for questions: retrieve, gate, compose, check.

The bot and the CLI call `KnowledgeService.ask`; it returns a typed `Answer`
and never raises for a bad question: a question the corpus does not cover is
answered with a plain "not covered".
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import Protocol

import numpy as np

from knowledge.answer import ExtractiveComposer, no_figure, not_covered
from knowledge.answer_plan import Draft, Focus
from knowledge.citations import CorpusLookup
from knowledge.coverage import GATE_FEATURES, CoverageFeatures
from knowledge.embedding import Embedder
from knowledge.figures import asked_units, asks_date, asks_figure, states_date, states_figure
from knowledge.index import KnowledgeIndex, open_index
from knowledge.lexical import query_tokens, tokenize
from knowledge.models import Answer, Chunk, Lang, Passage, PriorExchange
from knowledge.prior_answer import glossed, inline_items_asked
from knowledge.question import (
    ORDINAL_WORDS,
    QuestionIntent,
    analyze,
    sub_questions,
    without_ordinal,
)
from knowledge.ranker import FEATURES, LinearModel, SentenceFeatures, query_vector
from knowledge.reader import Reader
from knowledge.relevance import DomainVocabulary
from knowledge.retrieval import HybridRetriever, to_passages
from knowledge.script import detect_lang, han_count, to_simplified

log = logging.getLogger(__name__)

MAX_QUESTION_CHARS = 1000
RETRIEVE_K = 6


class Composer(Protocol):
    name: str

    async def acompose(self, draft: Draft) -> Answer | None:
        """None means: not good enough, use the extractive answer."""


@dataclass(frozen=True, slots=True)
class Retrieval:
    query: str
    passages: tuple[Passage, ...]


@dataclass(frozen=True, slots=True)
class Reading:
    """One way to read a question: on its own, or with the exchange it points back at."""

    query: str
    intent: QuestionIntent
    focus: Focus | None = None
    context: str = ""  # the previous answer
    inherits: bool = False  # covered because the question it points back at was


@dataclass(frozen=True, slots=True)
class Candidate:
    """One reading of a question: its scored draft, the features the ranker and the gate
    saw (kept for training), and the gate's log-odds that the articles cover it."""

    draft: Draft
    sentence_features: np.ndarray
    gate_features: np.ndarray
    coverage: float


class KnowledgeService:
    def __init__(
        self,
        index: KnowledgeIndex,
        composer: Composer | None = None,
        models: dict[str, dict[str, object]] | None = None,
        keep_features: bool = False,
    ) -> None:
        self._index = index
        self._retriever = HybridRetriever(index=index, k=RETRIEVE_K)
        self._vocabulary = DomainVocabulary(index.tokens)
        self._reader = Reader(index, index.documents)
        self.extractive = ExtractiveComposer(index, self._reader)
        self._composer = composer
        self._lookup: CorpusLookup | None = None
        # The learned ranker and gate, when given (ANSWER_MODEL=learned); the hand-set
        # rules otherwise, until the learned ones beat them on held-out sections.
        self._models = models or {}
        self._keep_features = keep_features
        ranker = self._models.get("ranker")
        gate = self._models.get("gate")
        self._ranker = LinearModel.from_dict(ranker, FEATURES) if ranker else None
        self._gate = LinearModel.from_dict(gate, GATE_FEATURES) if gate else None
        threshold = gate.get("threshold", 0.0) if gate else 0.0
        self._threshold = float(threshold)  # type: ignore[arg-type]

    @property
    def dense_enabled(self) -> bool:
        return self._index.embedder is not None

    @property
    def embedder(self) -> Embedder | None:
        return self._index.embedder

    @property
    def chunks(self) -> list[Chunk]:
        """The indexed passages (quiz questions and citations are built from these)."""
        return self._index.chunks

    @property
    def reader(self) -> Reader:
        return self._reader

    @cached_property
    def features(self) -> SentenceFeatures:
        """Built on first use: the rules path needs them only for training."""
        return SentenceFeatures(self._reader)

    @cached_property
    def coverage_features(self) -> CoverageFeatures:
        return CoverageFeatures(self._vocabulary, self.features)

    def citations(self) -> CorpusLookup:
        """Quote-to-passage lookup over this index, for the value engine's rule citations."""
        if self._lookup is None:
            self._lookup = CorpusLookup(self._index.chunks)
        return self._lookup

    def with_composer(self, composer: Composer | None) -> KnowledgeService:
        """The same index with another composer (e.g. an LLM), without reloading anything."""
        return KnowledgeService(self._index, composer, self._models, self._keep_features)

    def with_models(self, models: dict[str, dict[str, object]]) -> KnowledgeService:
        """The same index with other learned weights (training and its cross-validation)."""
        return KnowledgeService(self._index, self._composer, models, self._keep_features)

    def retrieve(self, query: str) -> Retrieval:
        passages = tuple(to_passages(self._index, self._retriever.invoke(query)))
        return Retrieval(query=query, passages=passages)

    def candidate(
        self,
        question: str,
        query: str,
        lang: Lang,
        intent: QuestionIntent,
        focus: Focus | None = None,
        context: str = "",
    ) -> Candidate:
        """Retrieve for `query`, score every sentence and judge coverage: one reading of a
        question, as the gate and the planner both need it."""
        retrieval = self.retrieve(query)
        draft = Draft(
            question=question,
            retrieval_query=query,
            lang=lang,
            intent=intent,
            passages=retrieval.passages,
            focus=focus,
            context=context,
        )
        parts = tuple(
            replace(draft, question=p, retrieval_query=p, intent=analyze(p))
            for p in (() if context else sub_questions(question))
            if self._has_subject(p)
        )
        if self._ranker is None or self._gate is None:
            part_scores = tuple(self.extractive.sentence_scores(part) for part in parts)
            return self._by_rules(replace(draft, part_scores=part_scores))
        matrix = self._features_of(draft)
        scores = self._ranker.score(matrix)
        part_scores = tuple(self._ranker.score(self._features_of(part)) for part in parts)
        draft = replace(draft, scores=scores, part_scores=part_scores)
        cosine = matrix[:, FEATURES.index("cosine")]
        gate_row = self.coverage_features.row(query, lang, retrieval.passages, scores, cosine)
        coverage = float(self._gate.score(gate_row[None, :])[0]) - self._threshold
        return Candidate(draft, matrix, gate_row, coverage)

    def _by_rules(self, draft: Draft) -> Candidate:
        """The hand-set path (the default): the planner's own sentence scores and the
        vocabulary-and-cosine gate. Features are computed only for training."""
        query = draft.retrieval_query
        passages = draft.passages
        embedder = self._index.embedder
        gate_text = self._vocabulary.in_articles_words(query)
        best_sentence = (
            self._reader.best_cosine(embedder.embed_query(gate_text))
            if embedder is not None
            else None
        )
        relevance = self._vocabulary.judge(
            query_tokens(query),
            max((p.dense for p in passages), default=0.0) if self.dense_enabled else None,
            max((p.lexical for p in passages), default=0.0),
            query,
            best_sentence,
        )
        coverage = 1.0 if relevance.covered else -1.0
        if not self._keep_features:
            return Candidate(draft, np.zeros((0, len(FEATURES))), np.zeros(0), coverage)
        matrix = self._features_of(draft)
        cosine = matrix[:, FEATURES.index("cosine")]
        gate_row = self.coverage_features.row(query, draft.lang, passages, cosine, cosine)
        return Candidate(draft, matrix, gate_row, coverage)

    def _features_of(self, draft: Draft) -> np.ndarray:
        text = draft.question if draft.context else draft.retrieval_query
        return self.features.matrix(draft, query_vector(self._index.embedder, text, draft.lang))

    def covers(self, candidate: Candidate) -> bool:
        return bool(candidate.draft.passages) and candidate.coverage >= 0.0

    def readings(
        self, question: str, lang: Lang, prior: PriorExchange | None = None
    ) -> list[Reading]:
        """The ways to read a question, in the order to try them: on its own, or together
        with the previous exchange when it points back at it.

        Only a question that points back ("and the second one?", "它的…") is read
        together with the previous one. A question that merely is not covered is
        not: borrowing the previous topic would answer "明天會下雨嗎?" with theory.
        An ordinal ("那第二層的需求呢?") refers to the last answer's list only when the
        question has no subject of its own or its subject is that list's. When that answer
        opened with a list inside a sentence ("由價值資產、品牌資產、維系資產三個部分組成"), the
        ordinal names its item, and the question is read with the item in its place.
        """
        intent = analyze(question)
        own = [Reading(question, intent)]
        if prior is None or not (intent.looks_like_follow_up or intent.ordinal is not None):
            return own
        combined = f"{prior.question} {question}"
        merged = _merged(combined, intent)
        focus = None
        named = inline_items_asked(prior.answer, intent.ordinals)
        if named and self._points_into(question, lang, intent, set(tokenize(" ".join(named)))):
            # "那第二個呢?" after "由價值資產、品牌資產、維系資產三個部分組成": about 品牌資產
            return [self._item_reading(question, named, prior.answer), *own]
        if intent.ordinal is not None:  # "the second one" of the list told last
            earlier = self.candidate(
                prior.question, prior.question, prior.lang, analyze(prior.question)
            )
            focus = self.extractive.focus_of(earlier.draft)
            if focus is not None and not self._points_into(
                question, lang, intent, self._list_words(focus)
            ):
                focus = None
        strong = intent.points_back or (intent.ordinal is not None and focus is not None)
        # "那利失那邊呢?" is covered because the question it points back at was: a
        # follow-up's few words say too little for the gate to judge on their own.
        back = [Reading(combined, merged, focus, prior.answer, inherits=strong)]
        if intent.ordinal is not None and focus is None and self._has_subject(question):
            return own  # "卡諾模型的第二層需求是什麼?" after another list: a fresh question
        return back + own if strong else own + back

    def draft(self, question: str, lang: Lang, prior: PriorExchange | None = None) -> Draft | None:
        """The first reading of the question that the articles cover, or None."""
        question = question.strip()[:MAX_QUESTION_CHARS]
        if not question or self._vocabulary.names_outside_topic(question):
            # "SAP CRM 里做客户价值分析的是哪个模块?" is about SAP, not the articles, and
            # "what's Nokia's share price these days?" about a share price, even when it
            # reads as a follow-up of a covered question.
            return None
        for reading in self.readings(question, lang, prior):
            found = self.candidate(
                question, reading.query, lang, reading.intent, reading.focus, reading.context
            )
            if self.covers(found) or (reading.inherits and found.draft.passages):
                return found.draft
        return None

    def _item_reading(self, question: str, items: list[str], answer: str) -> Reading:
        """The question with the items in place of its ordinals; a bare "那第二個呢?" /
        "And the second?" asks what the item is."""
        simplified = to_simplified(question)
        if not query_tokens(without_ordinal(simplified)):
            query = f"{'、'.join(items)}是什么?"
        else:
            if not han_count(question):  # "the second one" is "brand equity" if glossed so
                items = [glossed(answer, item) or item for item in items]
            query = _with_items(simplified, items)
        return Reading(query, analyze(query))

    def _has_subject(self, question: str) -> bool:
        """Does the question name a topic of its own, besides any ordinal: a term few
        sentences of the articles use ("狩野" in "狩野的第二層需求")?"""
        return bool(self._subject(question))

    def _subject(self, question: str) -> set[str]:
        return {
            t
            for t in query_tokens(without_ordinal(question))
            if len(t) >= 2 and self._reader.document_frequency[t] and self._reader.distinctive(t)
        }

    def _points_into(
        self, question: str, lang: Lang, intent: QuestionIntent, list_words: set[str]
    ) -> bool:
        """An ordinal points into the last list unless the question has a subject of its own:
        one that is not the list's (`list_words`) and that the articles cover when the
        question is read alone ("狩野紀昭說的第二層需求"). Words that are no topic ("那第四條具體
        是啥意思?": 具體) find nothing alone."""
        if not self._has_subject(question):
            return True
        subject = {t for t in query_tokens(question) if self._reader.distinctive(t) and len(t) >= 2}
        if subject & list_words:
            return True
        return not self.covers(self.candidate(question, question, lang, intent))

    def _list_words(self, focus: Focus) -> set[str]:
        """What names a list: its section, lead-in and item labels."""
        doc = self._reader.documents[focus.doc_id]
        enumeration = doc.enumerations[focus.enumeration]
        words = set(tokenize(" ".join([enumeration.heading, *enumeration.section])))
        if enumeration.lead is not None:
            words |= set(tokenize(doc.sentences[enumeration.lead].text))
        for item in enumeration.items:
            words |= set(tokenize(item.label))
        return words

    def ask_sync(
        self, question: str, lang: Lang | None = None, prior: PriorExchange | None = None
    ) -> Answer:
        lang = lang or detect_lang(question)
        draft = self.draft(question, lang, prior)
        if draft is None:
            return not_covered(question, lang)
        return _with_asked_figure(self.extractive.compose(draft))

    async def ask(
        self, question: str, lang: Lang | None = None, prior: PriorExchange | None = None
    ) -> Answer:
        """Retrieval is CPU work: it runs in a thread so the bot keeps serving others."""
        lang = lang or detect_lang(question)
        draft = await asyncio.to_thread(self.draft, question, lang, prior)
        if draft is None:
            return not_covered(question, lang)
        if self._composer is not None:
            composed = await self._composer.acompose(draft)
            if composed is not None:
                return _with_asked_figure(composed)
        return _with_asked_figure(self.extractive.compose(draft))


def _with_asked_figure(answer: Answer) -> Answer:
    """A question asking for a figure is covered only by an answer that states one
    ("萬寶路的廣告費加了多少?" found the Marlboro passage, which gives no amount) in what the
    question counts ("還要實習幾個月?" is not answered by "24小時培訓"), and one asking when
    only by an answer that says when."""
    question, text = answer.question, answer.text
    missing = answer.answered and (
        (asks_figure(question) and not states_figure(text, asked_units(question)))
        or (asks_date(question) and not states_date(text))
    )
    return no_figure(question, answer.lang) if missing else answer


def _with_items(question: str, names: list[str]) -> str:
    """The question with its ordinals put as the items they name: one ordinal each
    ("第三種跟最後一種"), or all of them where one phrase asks for several ("後面兩個")."""
    if len(ORDINAL_WORDS.findall(question)) == len(names):
        left = iter(names)
        return ORDINAL_WORDS.sub(lambda _: next(left), question)
    return ORDINAL_WORDS.sub("、".join(names), question, count=1)


def _merged(query: str, own: QuestionIntent) -> QuestionIntent:
    """A follow-up keeps the earlier question's topic but its own ordinal and list wish."""
    topic = analyze(query)
    return QuestionIntent(
        definition_terms=own.definition_terms or topic.definition_terms,
        # "那這幾個變了會影響什麼?" asks its own kind of thing about the earlier topic.
        wants_list=own.wants_list if own.kind != "other" else topic.wants_list,
        ordinal=own.ordinal,
        ordinals=own.ordinals,
        looks_like_follow_up=True,
        kind=own.kind if own.kind != "other" else topic.kind,
        count=own.count,
        cases=own.cases or topic.cases,
        sides=own.sides,
    )


def load_service(
    corpus_dir: Path,
    index_dir: Path,
    embedder: Embedder | None,
    composer: Composer | None = None,
    chroma_url: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    models: dict[str, dict[str, object]] | None = None,
    keep_features: bool = False,
) -> KnowledgeService:
    """`progress` hears about an index build, when the index must be built first; `models`
    replaces the shipped ranker and gate weights (training starts from none)."""
    index = open_index(corpus_dir, index_dir, embedder, chroma_url=chroma_url, progress=progress)
    if embedder is None:
        log.warning("knowledge base running on BM25 only (no dense embedder)")
    return KnowledgeService(index, composer, models, keep_features)
