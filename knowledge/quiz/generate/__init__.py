"""Questions generated deterministically from the corpus's structure.

Each generator proposes entries from one kind of structure (lists, definitions,
formulas, cases); a proposal is kept only when the validator accepts it, and when no
curated entry already asks the same thing (same passage, same answer), because a
trainer's wording wins over a generated one.
"""

from __future__ import annotations

from knowledge.models import Chunk
from knowledge.quiz.entry import BankEntry
from knowledge.quiz.generate.cases import case_entries
from knowledge.quiz.generate.definitions import definition_entries
from knowledge.quiz.generate.formulas import formula_entries
from knowledge.quiz.generate.lists import inline_entries, outline_entries
from knowledge.quiz.validate import check_entry, fold

GENERATORS = (outline_entries, inline_entries, definition_entries, formula_entries, case_entries)


def proposed_entries(chunks: list[Chunk]) -> list[BankEntry]:
    return [e for generate in GENERATORS for e in generate(chunks)]


def generated_entries(chunks: list[Chunk], curated: list[BankEntry]) -> list[BankEntry]:
    asked = {_fact(e) for e in curated if e.passage is not None and "zh" in e.variants}
    kept: list[BankEntry] = []
    seen: set[str] = set()
    for entry in proposed_entries(chunks):
        fact = _fact(entry)
        if fact in asked or entry.id in seen or check_entry(entry):
            continue
        asked.add(fact)
        seen.add(entry.id)
        kept.append(entry)
    return kept


def _fact(entry: BankEntry) -> tuple[str, str]:
    """What a question asks: its passage and its answer, in folded form."""
    zh = entry.variants["zh"]
    answer = fold(str(zh["options"][int(zh["correct"])]))
    return (entry.passage.chunk_id if entry.passage else "", answer)
