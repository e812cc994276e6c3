"""Hybrid retrieval: dense vectors in chromadb fused with BM25, as LangChain retrievers.

Dense vectors carry meaning across scripts and languages; BM25 carries exact
terms. Their scores are standardized and averaged; the raw scores travel in each
document's metadata so the relevance gate can use them.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict, SkipValidation

from knowledge.index import KnowledgeIndex
from knowledge.lexical import query_tokens
from knowledge.models import Passage
from knowledge.question import analyze, defines

DENSE_WEIGHT = 0.5
INTENT_BOOST = 0.5  # in standard deviations of the fused score


class LexicalRetriever(BaseRetriever):
    model_config = ConfigDict(arbitrary_types_allowed=True)
    index: SkipValidation[KnowledgeIndex]
    k: int = 20

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        scores = self.index.lexical.scores(query_tokens(query))
        order = np.argsort(scores)[::-1][: self.k]
        return [
            _document(self.index, int(i), bm25=scores[int(i)]) for i in order if scores[int(i)] > 0
        ]


class DenseRetriever(BaseRetriever):
    model_config = ConfigDict(arbitrary_types_allowed=True)
    index: SkipValidation[KnowledgeIndex]
    k: int = 20

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        if self.index.store is None or self.index.embedder is None:
            return []
        vector = self.index.embedder.embed_query(query)
        hits = self.index.store.similarity_search_by_vector_with_relevance_scores(
            embedding=[float(x) for x in vector], k=self.k
        )
        # langchain-chroma returns the collection's distance; ours is cosine distance.
        return [
            _document(self.index, int(doc.metadata["chunk_idx"]), cosine=1.0 - float(distance))
            for doc, distance in hits
        ]


class HybridRetriever(BaseRetriever):
    """Fuse z-scored cosine and BM25 over the union of both retrievers' candidates.

    Rank fusion (RRF) buried passages that only one side found, which is exactly
    the cross-lingual case (an English question whose exact term only BM25 sees
    through the glossary); score fusion keeps a strong single-side hit on top.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)
    index: SkipValidation[KnowledgeIndex]
    k: int = 6
    candidates: int = 40

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        dense = DenseRetriever(index=self.index, k=self.candidates).invoke(query)
        lexical = LexicalRetriever(index=self.index, k=self.candidates).invoke(query)
        found: dict[int, dict[str, float]] = {}
        for ranked, key in ((dense, "cosine"), (lexical, "bm25")):
            for doc in ranked:
                entry = found.setdefault(
                    int(doc.metadata["chunk_idx"]), {"cosine": 0.0, "bm25": 0.0}
                )
                entry[key] = float(doc.metadata[key])
        if not found:
            return []
        if dense:
            _fill_cosine(self.index, query, found)
        ids = list(found)
        cos = _zscore([found[i]["cosine"] for i in ids]) if dense else np.zeros(len(ids))
        bm25 = _zscore([found[i]["bm25"] for i in ids])
        weight = DENSE_WEIGHT if dense else 0.0
        fused = weight * cos + (1.0 - weight) * bm25
        intent = analyze(query)
        for pos, idx in enumerate(ids):
            chunk = self.index.chunks[idx]
            if intent.definition_terms and defines(chunk.search_text, intent.definition_terms):
                fused[pos] += INTENT_BOOST
            if intent.wants_list and chunk.is_outline:
                fused[pos] += INTENT_BOOST
        order = np.argsort(-fused)[: self.k]
        return [
            _document(self.index, ids[int(p)], fused=float(fused[int(p)]), **found[ids[int(p)]])
            for p in order
        ]


def _zscore(values: Sequence[float]) -> np.ndarray:
    arr = np.asarray(values, dtype=np.float64)
    spread = arr.std()
    return (arr - arr.mean()) / spread if spread > 1e-9 else np.zeros_like(arr)


def _fill_cosine(index: KnowledgeIndex, query: str, fused: dict[int, dict[str, float]]) -> None:
    """Lexical-only hits still need a cosine for the gate; chroma gives stored vectors."""
    missing = [idx for idx, s in fused.items() if s["cosine"] == 0.0]
    if not missing or index.store is None or index.embedder is None:
        return
    got = index.store.get(ids=[index.chunks[i].chunk_id for i in missing], include=["embeddings"])
    vector = index.embedder.embed_query(query)
    by_id = dict(zip(got["ids"], got["embeddings"], strict=True))
    for idx in missing:
        stored = by_id.get(index.chunks[idx].chunk_id)
        if stored is not None:
            fused[idx]["cosine"] = float(np.dot(np.asarray(stored, dtype=np.float32), vector))


def _document(index: KnowledgeIndex, idx: int, **scores: float) -> Document:
    chunk = index.chunks[idx]
    return Document(
        page_content=chunk.text, id=chunk.chunk_id, metadata={"chunk_idx": idx, **scores}
    )


def to_passages(index: KnowledgeIndex, docs: Sequence[Document]) -> list[Passage]:
    return [
        Passage(
            chunk=index.chunks[int(d.metadata["chunk_idx"])],
            score=float(d.metadata.get("fused", 0.0)),
            dense=float(d.metadata.get("cosine", 0.0)),
            lexical=float(d.metadata.get("bm25", 0.0)),
        )
        for d in docs
    ]
