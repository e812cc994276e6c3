"""CHROMA_URL: passage vectors on a Chroma server (the one chromadb's wheel ships),
uploaded once, shared by every process, giving the same answers as the embedded index."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import chromadb
import pytest

from bot.config import PACKAGE_CORPUS
from knowledge.embedding import Embedder
from knowledge.index import COLLECTION
from knowledge.service import KnowledgeService, load_service
from tests.postgres import free_port


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    binary = Path(sys.executable).parent / "chroma"
    assert binary.exists() or shutil.which("chroma"), "chromadb's wheel ships the `chroma` CLI"
    port = free_port()
    proc = subprocess.Popen(
        [str(binary), "run", "--path", str(tmp_path_factory.mktemp("chroma")), "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise TimeoutError("the Chroma server did not start")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


async def test_answers_from_a_chroma_server_match_the_embedded_index(
    chroma_url: str, index_dir: Path, embedder: Embedder, knowledge: KnowledgeService
) -> None:
    remote = load_service(PACKAGE_CORPUS, index_dir, embedder, chroma_url=chroma_url)
    again = load_service(PACKAGE_CORPUS, index_dir, embedder, chroma_url=chroma_url)  # 2nd process
    host, port = chroma_url.removeprefix("http://").split(":")
    client = chromadb.HttpClient(host=host, port=int(port))
    (collection,) = [c for c in client.list_collections() if c.name.startswith(COLLECTION)]
    assert collection.count() == len(knowledge.chunks)  # uploaded once, not twice
    for question in ("什麼是顧客感知價值?", "What is customer equity?", "二八法則是什麼?"):
        local, shared = await knowledge.ask(question), await remote.ask(question)
        assert shared.answered and shared.text == local.text
        assert [(s.doc, s.text) for s in shared.sources] == [(s.doc, s.text) for s in local.sources]
    assert (await again.ask("什麼是品牌資產?")).answered
