"""Choose how far an answer reads on through its paragraph (`THOUGHT_CHARS`), on data.

    python bench/tune_thought.py [--budgets 0,150,200,...]

Answers the labelled data's train split (written questions only; validation and test are
not read) with each budget and prints the shared scorer's pass count for answerable and
off-topic rows and the answers' length. The shipped value is the smallest budget that passes
within one percent of the answerable rows of the best budget: past that, a longer answer
mostly costs the reader time (on the train split the count creeps up by a row per 50
characters beyond the knee). Re-running it regenerates the choice in
`knowledge/answer_plan.py`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from answers import LABELLED, answer_all, scorer  # noqa: E402
from retrieval import load  # noqa: E402

from bot.config import PACKAGE_CORPUS  # noqa: E402
from knowledge import answer_plan  # noqa: E402
from knowledge.embedding import load_embedder  # noqa: E402
from knowledge.service import load_service  # noqa: E402

BUDGETS = (0, 150, 200, 250, 300, 350, 400, 450)
TOLERANCE = 0.01  # of the answerable rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--budgets", default=",".join(map(str, BUDGETS)))
    args = parser.parse_args()
    budgets = [int(b) for b in args.budgets.split(",")]
    module = scorer()
    rows = [r for r in load(LABELLED) if r.get("source") == "written" and r["split"] == "train"]
    print(f"cores: {os.cpu_count()}; train rows: {len(rows)}")
    results: list[tuple[int, int]] = []
    with tempfile.TemporaryDirectory() as tmp:
        knowledge = load_service(PACKAGE_CORPUS, Path(tmp) / "index", load_embedder())
        for budget in budgets:
            answer_plan.THOUGHT_CHARS = budget
            outputs = asyncio.run(answer_all(knowledge, rows))
            passed = [
                bool(module.score_one(r, o)["ok"]) for r, o in zip(rows, outputs, strict=True)
            ]
            answerable = sum(
                p for r, p in zip(rows, passed, strict=True) if r["type"] != "offtopic"
            )
            declined = sum(p for r, p in zip(rows, passed, strict=True) if r["type"] == "offtopic")
            lengths = [len(str(o["answer"])) for o in outputs if o["answered"]]
            print(
                f"budget {budget:>4}: answerable {answerable}, off-topic declined {declined}, "
                f"answer length p50 {np.percentile(lengths, 50):.0f} "
                f"p90 {np.percentile(lengths, 90):.0f}",
                flush=True,
            )
            results.append((budget, answerable))
    total = sum(r["type"] != "offtopic" for r in rows)
    best = max(passed for _, passed in results)
    budget, passed = min((b, p) for b, p in results if p >= best - TOLERANCE * total)
    print(f"chosen: THOUGHT_CHARS = {budget} ({passed} answerable rows passed, best {best})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
