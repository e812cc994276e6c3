"""A knowledge service over one made-up article: answer composition tested on text whose
every sentence the test controls, away from the shipped corpus."""

from __future__ import annotations

import pytest

from knowledge.embedding import Embedder
from knowledge.service import KnowledgeService, load_service


def service_on(
    factory: pytest.TempPathFactory, embedder: Embedder, name: str, text: str
) -> KnowledgeService:
    corpus = factory.mktemp("corpus")
    (corpus / name).write_text(text, encoding="utf-8")
    return load_service(corpus, factory.mktemp("index") / "index", embedder)
