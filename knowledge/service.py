"""The one entry point for questions: retrieve, gate, compose, check.

The bot and the CLI call `KnowledgeService.ask`; it returns a typed `Answer`
and never raises for a bad question: a question the corpus does not cover is
answered with a plain "not covered".
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from knowledge.answer import ExtractiveComposer, not_covered
from knowledge.answer_plan import Draft
from knowledge.citations import CorpusLookup
from knowledge.embedding import Embedder
from knowledge.index import KnowledgeIndex, open_index
from knowledge.lexical import query_tokens
from knowledge.models import Answer, Chunk, Lang, Passage, PriorExchange
from knowledge.question import QuestionIntent, analyze
from knowledge.reader import Reader
from knowledge.relevance import DomainVocabulary, Relevance
from knowledge.retrieval import HybridRetriever, to_passages
from knowledge.script import detect_lang

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
    relevance: Relevance


class KnowledgeService:
    def __init__(self, index: KnowledgeIndex, composer: Composer | None = None) -> None:
        self._index = index
        self._retriever = HybridRetriever(index=index, k=RETRIEVE_K)
        self._vocabulary = DomainVocabulary(index.tokens)
        self._reader = Reader(index, index.documents)
        self.extractive = ExtractiveComposer(index, self._reader)
        self._composer = composer
        self._lookup: CorpusLookup | None = None

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

    def citations(self) -> CorpusLookup:
        """Quote-to-passage lookup over this index, for the value engine's rule citations."""
        if self._lookup is None:
            self._lookup = CorpusLookup(self._index.chunks)
        return self._lookup

    def with_composer(self, composer: Composer | None) -> KnowledgeService:
        """The same index with another composer (e.g. an LLM), without reloading anything."""
        return KnowledgeService(self._index, composer)

    def retrieve(self, query: str) -> Retrieval:
        passages = tuple(to_passages(self._index, self._retriever.invoke(query)))
        best_dense = max((p.dense for p in passages), default=0.0) if self.dense_enabled else None
        best_bm25 = max((p.lexical for p in passages), default=0.0)
        embedder = self._index.embedder
        best_sentence = (
            self._reader.best_cosine(embedder.embed_query(query)) if embedder is not None else None
        )
        relevance = self._vocabulary.judge(
            query_tokens(query), best_dense, best_bm25, query, best_sentence
        )
        return Retrieval(query=query, passages=passages, relevance=relevance)

    def draft(self, question: str, lang: Lang, prior: PriorExchange | None = None) -> Draft | None:
        """Retrieve for the question, leaning on the previous exchange for follow-ups.

        Only a question that points back ("and the second one?", "它的…") is read
        together with the previous one. A question that merely is not covered is
        not: borrowing the previous topic would answer "明天會下雨嗎?" with theory.
        """
        question = question.strip()[:MAX_QUESTION_CHARS]
        if not question:
            return None
        intent = analyze(question)
        attempts = [question]
        focus = None
        if prior is not None and (intent.looks_like_follow_up or intent.ordinal is not None):
            # "那第三步呢?" leans on the last question first; "星巴克成功是因为它的咖啡吗?"
            # names its own topic and only borrows the last one if it is not covered alone.
            combined = f"{prior.question} {question}"
            strong = intent.points_back or intent.ordinal is not None
            attempts = [combined, question] if strong else [question, combined]
            if intent.ordinal is not None:  # "the second one" of the list told last
                earlier = self.draft(prior.question, prior.lang)
                focus = self.extractive.focus_of(earlier) if earlier is not None else None
        for query in attempts:
            retrieval = self.retrieve(query)
            if retrieval.relevance.covered and retrieval.passages:
                return Draft(
                    question=question,
                    retrieval_query=query,
                    lang=lang,
                    intent=intent if query == question else _merged(query, intent),
                    passages=retrieval.passages,
                    focus=focus if query != question else None,
                    context=prior.answer if prior is not None and query != question else "",
                )
        return None

    def ask_sync(
        self, question: str, lang: Lang | None = None, prior: PriorExchange | None = None
    ) -> Answer:
        lang = lang or detect_lang(question)
        draft = self.draft(question, lang, prior)
        if draft is None:
            return not_covered(question, lang)
        return self.extractive.compose(draft)

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
                return composed
        return self.extractive.compose(draft)


def _merged(query: str, own: QuestionIntent) -> QuestionIntent:
    """A follow-up keeps the earlier question's topic but its own ordinal and list wish."""
    topic = analyze(query)
    return QuestionIntent(
        definition_terms=own.definition_terms or topic.definition_terms,
        # "那這幾個變了會影響什麼?" asks its own kind of thing about the earlier topic.
        wants_list=own.wants_list if own.kind != "other" else topic.wants_list,
        ordinal=own.ordinal,
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
) -> KnowledgeService:
    """`progress` hears about an index build, when the index must be built first."""
    index = open_index(corpus_dir, index_dir, embedder, chroma_url=chroma_url, progress=progress)
    if embedder is None:
        log.warning("knowledge base running on BM25 only (no dense embedder)")
    return KnowledgeService(index, composer)
