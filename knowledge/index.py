"""Build, persist and open the knowledge index.

One directory holds everything: a chromadb collection of passage vectors, the
sentence vectors the extractive composer ranks, and a manifest with the
passages, their BM25 tokens and a fingerprint of what they were built from.
The fingerprint covers the cleaned passages themselves, so a change to the
corpus or to the cleaning rules both trigger a rebuild.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import chromadb
import numpy as np
from chromadb.api import ClientAPI
from chromadb.api.shared_system_client import SharedSystemClient
from chromadb.config import Settings as ChromaSettings
from langchain_chroma import Chroma

from knowledge.chunking import current_chunks
from knowledge.cleaning import load_corpus
from knowledge.document import Document, parse_corpus
from knowledge.embedding import Embedder, LangChainEmbeddings
from knowledge.glossary import GLOSSARY_FILE
from knowledge.lexical import LexicalIndex, tokenize
from knowledge.models import Chunk

log = logging.getLogger(__name__)

COLLECTION = "cvm_passages"
MANIFEST = "manifest.json"
SENTENCE_VECTORS = "sentences.npy"
LEXICAL_ONLY = "none"


@dataclass(frozen=True)
class BuildReport:
    chunks: int
    sentences: int
    seconds: float
    embedder: str
    path: Path


@dataclass
class KnowledgeIndex:
    """Everything retrieval needs, loaded once per process."""

    chunks: list[Chunk]
    lexical: LexicalIndex
    store: Chroma | None
    sentence_vectors: np.ndarray | None
    sentence_offsets: list[int]  # sentence_offsets[i]: row of chunk i's first sentence
    tokens: list[list[str]]  # each chunk's BM25 tokens, as stored in the manifest
    embedder: Embedder | None
    fingerprint: str
    documents: dict[str, Document] = field(default_factory=dict)  # the articles' model

    def __post_init__(self) -> None:
        self.position = {chunk.chunk_id: i for i, chunk in enumerate(self.chunks)}

    def chunk_sentence_vectors(self, chunk_idx: int) -> np.ndarray | None:
        if self.sentence_vectors is None:
            return None
        start = self.sentence_offsets[chunk_idx]
        return self.sentence_vectors[start : start + len(self.chunks[chunk_idx].sentences)]


def fingerprint(chunks: list[Chunk], embedder_name: str) -> str:
    """What the stored index was built from: passages, embedder, and the tokenizer's
    vocabulary (the glossary adds words to jieba, so it changes the BM25 tokens)."""
    digest = hashlib.sha256(embedder_name.encode())
    digest.update(GLOSSARY_FILE.read_bytes())
    for chunk in chunks:
        digest.update(json.dumps(asdict(chunk), ensure_ascii=False, sort_keys=True).encode())
    return digest.hexdigest()


def _client(path: Path) -> ClientAPI:
    return chromadb.PersistentClient(
        path=str(path), settings=ChromaSettings(anonymized_telemetry=False, allow_reset=True)
    )


def _remote_client(url: str) -> ClientAPI:
    parsed = urlparse(url)
    secure = parsed.scheme == "https"
    return chromadb.HttpClient(
        host=parsed.hostname or "127.0.0.1",
        port=parsed.port or (443 if secure else 8000),
        ssl=secure,
        settings=ChromaSettings(anonymized_telemetry=False),
    )


def _remote_store(url: str, embedder: Embedder, chunks: list[Chunk], fingerprint: str) -> Chroma:
    """Passage vectors on a Chroma server, shared by every bot process.

    The collection is named after the index's fingerprint, so processes built from a
    different corpus never read each other's vectors. The first process to open it
    uploads the passages; ids are the chunk ids, so a concurrent upload by another
    process writes the same rows again instead of duplicating them.
    """
    store = _store(_remote_client(url), embedder, f"{COLLECTION}_{fingerprint[:16]}")
    if store._collection.count() != len(chunks):
        log.info("uploading %d passages to the Chroma server at %s", len(chunks), url)
        store.add_texts(
            texts=[c.search_text for c in chunks],
            metadatas=[{"chunk_idx": i, "doc": c.doc_id} for i, c in enumerate(chunks)],
            ids=[c.chunk_id for c in chunks],
        )
    return store


def _store(client: ClientAPI, embedder: Embedder, name: str = COLLECTION) -> Chroma:
    # chromadb does not remember a custom embedding function: pass it on every open.
    return Chroma(
        client=client,
        collection_name=name,
        embedding_function=LangChainEmbeddings(embedder),
        collection_metadata={"hnsw:space": "cosine"},
    )


EMBED_BATCH = 32  # texts per progress step; small enough to report every second or two


def build_index(
    corpus_dir: Path,
    index_dir: Path,
    embedder: Embedder | None,
    progress: Callable[[int, int], None] | None = None,
) -> BuildReport:
    """Build into a sibling directory and swap it in, so a crash never leaves half an index.

    `progress(done, total)` hears about the texts embedded (passages, then sentences):
    embedding is nearly all of a build's time."""
    started = time.perf_counter()
    chunks = current_chunks(corpus_dir)
    embedder_name = embedder.name if embedder else LEXICAL_ONLY
    staging = index_dir.with_name(index_dir.name + ".building")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    sentences = [s for c in chunks for s in c.sentences]
    if embedder is not None:
        client = _client(staging / "chroma")
        store = _store(client, embedder)
        total = len(chunks) + len(sentences)
        for start in range(0, len(chunks), EMBED_BATCH):
            batch = range(start, min(start + EMBED_BATCH, len(chunks)))
            store.add_texts(
                texts=[chunks[i].search_text for i in batch],
                metadatas=[{"chunk_idx": i, "doc": chunks[i].doc_id} for i in batch],
                ids=[chunks[i].chunk_id for i in batch],
            )
            if progress is not None:
                progress(batch.stop, total)
        vectors = []
        for start in range(0, len(sentences), EMBED_BATCH):
            vectors.append(embedder.embed_passages(sentences[start : start + EMBED_BATCH]))
            if progress is not None:
                progress(len(chunks) + min(start + EMBED_BATCH, len(sentences)), total)
        np.save(staging / SENTENCE_VECTORS, np.concatenate(vectors) if vectors else np.zeros(0))
        del store, client
        SharedSystemClient.clear_system_cache()  # let the swapped-in directory be opened fresh
    manifest = {
        "fingerprint": fingerprint(chunks, embedder_name),
        "embedder": embedder_name,
        "built_at": time.time(),
        "chunks": [asdict(c) | {"tokens": tokenize(c.search_text)} for c in chunks],
    }
    (staging / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    if index_dir.exists():
        shutil.rmtree(index_dir)
    staging.rename(index_dir)
    return BuildReport(
        chunks=len(chunks),
        sentences=len(sentences),
        seconds=time.perf_counter() - started,
        embedder=embedder_name,
        path=index_dir,
    )


def index_is_current(corpus_dir: Path, index_dir: Path, embedder: Embedder | None) -> bool:
    manifest_path = index_dir / MANIFEST
    if not manifest_path.exists():
        return False
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return False
    embedder_name = embedder.name if embedder else LEXICAL_ONLY
    expected = fingerprint(current_chunks(corpus_dir), embedder_name)
    return bool(manifest.get("fingerprint") == expected)


def open_index(
    corpus_dir: Path,
    index_dir: Path,
    embedder: Embedder | None,
    *,
    rebuild_if_stale: bool = True,
    chroma_url: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> KnowledgeIndex:
    """Open the index, (re)building it first when it is missing or the corpus changed.

    With `chroma_url`, passage vectors are searched on that Chroma server; the manifest
    and the sentence vectors stay local (they are small and read at every answer).
    """
    if not index_is_current(corpus_dir, index_dir, embedder):
        if not rebuild_if_stale and (index_dir / MANIFEST).exists():
            log.warning("knowledge index at %s is stale; run `cvm index`", index_dir)
        else:
            log.info("building knowledge index at %s", index_dir)
            report = build_index(corpus_dir, index_dir, embedder, progress)
            log.info(
                "knowledge index built: %d passages in %.1f s (%s)",
                report.chunks,
                report.seconds,
                report.embedder,
            )
    manifest = json.loads((index_dir / MANIFEST).read_text(encoding="utf-8"))
    raw_chunks = manifest["chunks"]
    tokens = [c.pop("tokens") for c in raw_chunks]
    chunks = [Chunk(**{**c, "sentences": tuple(c["sentences"])}) for c in raw_chunks]
    offsets: list[int] = []
    total = 0
    for chunk in chunks:
        offsets.append(total)
        total += len(chunk.sentences)
    store = None
    vectors = None
    if embedder is not None and manifest["embedder"] == embedder.name:
        if chroma_url:
            store = _remote_store(chroma_url, embedder, chunks, manifest["fingerprint"])
        else:
            store = _store(_client(index_dir / "chroma"), embedder)
        vectors = np.load(index_dir / SENTENCE_VECTORS)
    return KnowledgeIndex(
        chunks=chunks,
        lexical=LexicalIndex(tokens),
        store=store,
        sentence_vectors=vectors,
        sentence_offsets=offsets,
        tokens=tokens,
        embedder=embedder if store is not None else None,
        fingerprint=manifest["fingerprint"],
        documents=parse_corpus(load_corpus(corpus_dir)),
    )
