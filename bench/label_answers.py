"""Turn the written question sets into the labelled, split data the ranker and gate learn from.

    python bench/label_answers.py        # rewrites bench/data/answers/labelled.jsonl

Inputs (data files, written from the articles before the bot was run on them):
- `bench/data/answers/written.jsonl`: questions in the shared scorer's format, each with the
  verbatim `evidence` quotes that hold its key points; off-topic near misses with none;
- the quiz bank (`knowledge/quiz/bank/*.yaml`): each question cites its passage (quote + cue),
  mined as extra training rows (never validation or test: they are quiz-worded).

Each answerable row gets `answer_sentences`, the document model's sentence ids
("doc_id:index") that contain one of its key points inside its evidence, and `unit`, the
article section its first answer sentence stands in. The split is by unit, never by
question, so no question is judged on a section its siblings were trained on: a fixed
hash of the unit name sends about 20% of the sections to `test` (read by no tuning run),
20% to `validation` and the rest to `train`. Off-topic rows, which have no section, are
split by a hash of their id in the same shares. A follow-up stays with the question it
follows.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
import unicodedata
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.config import PACKAGE_CORPUS  # noqa: E402
from knowledge.cleaning import load_corpus  # noqa: E402
from knowledge.document import Document, parse_corpus  # noqa: E402
from knowledge.script import to_simplified  # noqa: E402

DATA = ROOT / "bench" / "data" / "answers"
WRITTEN = DATA / "written.jsonl"
LABELLED = DATA / "labelled.jsonl"
BANK = ROOT / "knowledge" / "quiz" / "bank"
SHARES = (("test", 0.2), ("validation", 0.4))  # cumulative shares of the written answerable rows
UNIT_PARAGRAPHS = 3  # an article without headings is cut into runs of this many paragraphs

_PINYIN = re.compile(r"\([a-z]{1,8}\)")
_SPACE = re.compile(r"\s+")


def norm(text: str) -> str:
    """The shared scorer's normalisation, so a key point found here is found there."""
    text = unicodedata.normalize("NFKC", text or "")
    return _SPACE.sub("", to_simplified(_PINYIN.sub("", text))).casefold()


def _hash(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()


def split_of(name: str) -> str:
    share = int(_hash(name)[:8], 16) / 0xFFFFFFFF
    return next((split for split, below in SHARES if share < below), "train")


def split_units(sizes: dict[str, int]) -> dict[str, str]:
    """Units in a fixed pseudo-random order (their names' hash) fill test, then validation,
    up to their shares of the rows; the rest is train. Sections differ in size, so a plain
    hash per unit would leave the test part at the mercy of two large sections."""
    total = sum(sizes.values())
    split, filled, chosen = 0, 0, {}
    for unit in sorted(sizes, key=_hash):
        while split < len(SHARES) and filled >= SHARES[split][1] * total:
            split += 1
        chosen[unit] = SHARES[split][0] if split < len(SHARES) else "train"
        filled += sizes[unit]
    return chosen


def unit_of(doc: Document, index: int) -> str:
    sentence = doc.sentences[index]
    if sentence.section:
        return f"{doc.doc_id}|{' / '.join(sentence.section[:2])}"
    return f"{doc.doc_id}|¶{max(sentence.paragraph, 0) // UNIT_PARAGRAPHS}"


def answer_sentences(doc: Document, evidence: list[str], key_points: list[list[str]]) -> list[int]:
    """Sentences that overlap an evidence quote and state one of the key points; the
    evidence sentences themselves where none states one whole (a point split by a mark)."""
    # A quote may run across a sentence mark: match it piece by piece.
    quotes = [norm(piece) for q in evidence for piece in re.split(r"[。!?;!?;]", q)]
    quotes = [q for q in quotes if len(q) >= 4]
    alts = [norm(a) for kp in key_points for a in kp]
    overlapping = []
    for i, s in enumerate(doc.sentences):
        text = norm(s.text)
        if len(text) < 2:
            continue
        if any(text in q or q in text for q in quotes):
            overlapping.append(i)
    stating = [i for i in overlapping if any(a in norm(doc.sentences[i].text) for a in alts)]
    return stating or overlapping


def build() -> tuple[list[dict], list[str]]:  # type: ignore[type-arg]
    """The labelled rows and what had to be skipped, from the written rows and the bank."""
    documents = parse_corpus(load_corpus(PACKAGE_CORPUS))
    by_prefix = {doc_id[:3]: doc_id for doc_id in documents}
    rows = [json.loads(line) for line in WRITTEN.read_text(encoding="utf-8").splitlines() if line]
    out: list[dict] = []  # type: ignore[type-arg]
    problems = []
    for row in rows:
        row = dict(row)
        if row["type"] == "offtopic":
            row["unit"] = None
            row["split"] = split_of(f"offtopic|{row['id']}")
        else:
            doc = documents[row["doc"].removesuffix(".txt")]
            found = answer_sentences(doc, row["evidence"], row["key_points"])
            if not found:
                problems.append(
                    f"{row['id']}: no sentence of the document model holds its evidence"
                )
                continue
            row["answer_sentences"] = [f"{doc.doc_id}:{i}" for i in found]
            row["unit"] = unit_of(doc, found[0])
        row["source"] = "written"
        out.append(row)
    # A follow-up stays with its question, so the sections both answer from are one group
    # (named after the first's): no section may feed two splits.
    group: dict[str, str] = {}

    def root(unit: str) -> str:
        while group.get(unit, unit) != unit:
            unit = group[unit]
        return unit

    for n, row in enumerate(out):
        if "follows" in row and n and out[n - 1]["unit"] and row["unit"]:
            first, second = root(out[n - 1]["unit"]), root(row["unit"])
            if first != second:
                group[second] = first
    sizes: dict[str, int] = {}
    for row in out:
        if row["unit"] is not None:
            sizes[root(row["unit"])] = sizes.get(root(row["unit"]), 0) + 1
    units = split_units(sizes)
    for row in out:
        if row["unit"] is not None:
            row["split"] = units[root(row["unit"])]
    out.extend(mined_quiz(documents, by_prefix, problems))
    return out, problems


def main() -> int:
    out, problems = build()
    LABELLED.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in out), "utf-8")
    counts: dict[str, int] = {}
    for r in out:
        key = f"{r['split']}/{'offtopic' if r['type'] == 'offtopic' else 'answerable'}"
        counts[key] = counts.get(key, 0) + 1
    print(json.dumps(dict(sorted(counts.items()))), f"units: {len({r['unit'] for r in out})}")
    for p in problems:
        print("skipped:", p)
    return 0


def mined_quiz(
    documents: dict[str, Document], by_prefix: dict[str, str], problems: list[str]
) -> list[dict]:  # type: ignore[type-arg]
    """The quiz bank's questions as training rows: the cited quote is the evidence and the
    cue, a phrase of it the question paraphrases, the key point."""
    rows = []
    for path in sorted(BANK.glob("*.yaml")):
        for entry in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            source = entry.get("source") or {}
            doc_id = by_prefix.get(str(source.get("doc", "")))
            cue = entry.get("cue") or source.get("quote")
            if doc_id is None or not cue:
                continue
            doc = documents[doc_id]
            found = answer_sentences(doc, [source["quote"], cue], [[cue]])
            if not found:
                problems.append(f"quiz {entry['id']}: its quote is in no sentence")
                continue
            for lang, key in (("zh-Hant", "zh"), ("en", "en")):
                if key not in entry:
                    continue
                rows.append(
                    {
                        "id": f"quiz-{entry['id']}-{key}",
                        "lang": lang,
                        "type": "quiz",
                        "doc": f"{doc_id}.txt",
                        "question": entry[key]["question"],
                        "key_points": [[cue]],
                        "min_points": 1,
                        "answer_sentences": [f"{doc_id}:{i}" for i in found],
                        "unit": unit_of(doc, found[0]),
                        "split": "train",
                        "source": "quiz",
                    }
                )
    return rows


if __name__ == "__main__":
    raise SystemExit(main())
