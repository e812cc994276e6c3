"""The question bank: curated YAML questions plus questions generated from the corpus.

Every question is tied to an indexed passage. Curated entries name an article and a quote
(resolved against the passages, so a question can never cite text that is not in the
index) and a cue: the words of the passage that the question paraphrases. Chinese
entries come out in both scripts through OpenCC; English ones where the entry has them.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from knowledge.models import Chunk
from knowledge.quiz.entry import BankEntry, list_items, render
from knowledge.quiz.generate import generated_entries
from knowledge.quiz.models import QuizQuestion
from knowledge.script import to_simplified

__all__ = ["BANK_DIR", "BankEntry", "find_passage", "list_items", "load_bank", "load_entries"]

BANK_DIR = Path(__file__).resolve().parent / "bank"


def load_entries(chunks: list[Chunk], bank_dir: Path = BANK_DIR) -> list[BankEntry]:
    curated = load_curated(chunks, bank_dir)
    return curated + generated_entries(chunks, curated)


def load_curated(chunks: list[Chunk], bank_dir: Path = BANK_DIR) -> list[BankEntry]:
    passages = [c for c in chunks if not c.is_outline]
    entries = []
    for path in sorted(bank_dir.glob("*.yaml")):
        for raw in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            source = raw.get("source", {})
            window = raw.get("window")
            entries.append(
                BankEntry(
                    id=str(raw["id"]),
                    topic=str(raw.get("topic", "general")),
                    difficulty=int(raw.get("difficulty", 1)),
                    passage=find_passage(
                        passages, str(source.get("doc", "")), str(source.get("quote", ""))
                    ),
                    cue=str(raw.get("cue", "")),
                    variants={k: raw[k] for k in ("zh", "en") if k in raw},
                    origin=path.name,
                    window=None if window is None else int(window),
                )
            )
    return entries


def find_passage(passages: list[Chunk], doc_prefix: str, quote: str) -> Chunk | None:
    needle = to_simplified(quote)
    if not needle:
        return None
    for chunk in passages:
        if chunk.doc_id.startswith(doc_prefix) and needle in to_simplified(chunk.text):
            return chunk
    return None


def load_bank(chunks: list[Chunk], bank_dir: Path = BANK_DIR) -> list[QuizQuestion]:
    return [q for entry in load_entries(chunks, bank_dir) for q in render(entry)]
