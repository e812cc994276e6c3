"""Answer benchmark: does the answer TEXT state the key points, per language and type?

    python bench/answers.py [--set FILE.jsonl ...] [--json]

Scores each answer set with the shared scorer (`../shared/eval/score_answers.py`, the
one the hidden set is judged with): the dev set, our older set `bench/data/
qa_answers_extra.jsonl`, and the labelled data the ranker and gate learn from
(`bench/data/answers/labelled.jsonl`, written questions only), each split apart: `train`
and `validation` were read by training, `test` by nothing but this report. For the
labelled data it also gives sentence-ranking precision@1 and recall@3 against the
recorded answer sentences and the coverage gate's confusion matrix. Questions are asked
in one conversation, as
`cvm ask --file` does, so follow-ups lean on the line before. Also reports retrieval
hit@3 on `qa_dev.jsonl`, warm `ask` latency without an LLM and the index build time.
Targets (2 cores): dev 27/30 answerable and 9/10 per language, every off-topic
question declined, 3/3 follow-ups; warm p95 < 100 ms; build < 30 s.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import io
import json
import os
import sys
import tempfile
import time
from contextlib import redirect_stdout
from pathlib import Path
from types import ModuleType

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from retrieval import evaluate, latency, load  # noqa: E402

from bot.config import PACKAGE_CORPUS, Settings  # noqa: E402
from bot.factory import build_services  # noqa: E402
from knowledge.embedding import load_embedder  # noqa: E402
from knowledge.index import build_index  # noqa: E402
from knowledge.models import Lang, PriorExchange  # noqa: E402
from knowledge.ranker import load_models  # noqa: E402
from knowledge.service import KnowledgeService  # noqa: E402

SHARED_EVAL = ROOT.parent / "shared" / "eval"
LABELLED = ROOT / "bench" / "data" / "answers" / "labelled.jsonl"
DEFAULT_SETS = (
    SHARED_EVAL / "qa_answers_dev.jsonl",
    ROOT / "bench" / "data" / "qa_answers_extra.jsonl",
    LABELLED,
)


def scorer() -> ModuleType:
    path = SHARED_EVAL / "score_answers.py"
    spec = importlib.util.spec_from_file_location("score_answers", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"the shared answer scorer is missing: {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def answer_all(knowledge: KnowledgeService, rows: list[dict]) -> list[dict]:  # type: ignore[type-arg]
    """One conversation, in file order, exactly as `cvm ask --file` runs it."""
    outputs = []
    prior: PriorExchange | None = None
    for row in rows:
        answer = await knowledge.ask(row["question"], prior=prior)
        if answer.answered:  # as the bot does: a follow-up leans on the last answered exchange
            prior = PriorExchange(question=row["question"], answer=answer.text, lang=answer.lang)
        outputs.append(answer.as_json_dict())
    return outputs


def score(module: ModuleType, rows: list[dict], outputs: list[dict], tmp: Path) -> str:  # type: ignore[type-arg]
    """The shared scorer's own report for these rows."""
    set_path, out_path = tmp / "set.jsonl", tmp / "out.jsonl"
    set_path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    out_path.write_text("".join(json.dumps(o, ensure_ascii=False) + "\n" for o in outputs))
    buffer = io.StringIO()
    with redirect_stdout(buffer):
        module.main([str(set_path), str(out_path), "-v"])
    return buffer.getvalue()


def failures(module: ModuleType, rows: list[dict], outputs: list[dict]) -> list[str]:  # type: ignore[type-arg]
    lines = []
    for row, out in zip(rows, outputs, strict=True):
        result = module.score_one(row, out)
        if not result["ok"]:
            why = (
                "answered off-topic"
                if row["type"] == "offtopic"
                else (
                    "declined"
                    if not result["answered"]
                    else f"{result['matched']}/{row['min_points']}"
                )
            )
            lines.append(f"  {row['id']} [{row['lang']} {row['type']}] {why}: {row['question']}")
    return lines


def sentence_and_gate(
    knowledge: KnowledgeService,
    rows: list[dict],  # type: ignore[type-arg]
    outputs: list[dict],  # type: ignore[type-arg]
) -> str:
    """The learned ranker's precision@1 / recall@3 on the answerable rows (each read on its
    own, as a fresh question) and the gate's confusion matrix (answered or declined, in the
    run, by whichever path answered)."""
    knowledge = knowledge.with_models(load_models())
    p1 = r3 = 0.0
    ranked = 0
    for row in rows:
        if not row.get("answer_sentences") or "follows" in row:
            continue
        lang = Lang(row["lang"])
        reading = knowledge.readings(row["question"], lang)[0]
        scores = knowledge.candidate(
            row["question"], reading.query, lang, reading.intent
        ).draft.scores
        assert scores is not None
        gold = {
            knowledge.reader.ref_id(ref.split(":")[0], int(ref.split(":")[1]))
            for ref in row["answer_sentences"]
        }
        top = [int(i) for i in np.argsort(-scores, kind="stable")[:3]]
        p1 += top[0] in gold
        r3 += len(gold & set(top)) / len(gold)
        ranked += 1
    cells = {(a, b): 0 for a in (True, False) for b in (True, False)}
    for row, out in zip(rows, outputs, strict=True):
        cells[(row["type"] != "offtopic", bool(out["answered"]))] += 1
    return (
        f"sentence ranking ({ranked} fresh answerable questions): "
        f"precision@1 {p1 / max(ranked, 1):.3f}, recall@3 {r3 / max(ranked, 1):.3f}\n"
        f"gate            answered  declined\n"
        f"  answerable    {cells[(True, True)]:>8}  {cells[(True, False)]:>8}\n"
        f"  off-topic     {cells[(False, True)]:>8}  {cells[(False, False)]:>8}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--set", type=Path, action="append", help="answer set(s) to score")
    parser.add_argument(
        "--learned", action="store_true", help="answer with the learned ranker and gate"
    )
    args = parser.parse_args()
    module = scorer()
    sets = args.set or [p for p in DEFAULT_SETS if p.exists()]
    print(f"cores: {os.cpu_count()}")
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        embedder = load_embedder()
        started = time.perf_counter()
        build = build_index(PACKAGE_CORPUS, tmp / "index", embedder)
        print(f"index build: {time.perf_counter() - started:.1f} s ({build.chunks} passages)")
        settings = Settings(  # type: ignore[call-arg]
            data_dir=tmp, _env_file=None, answer_model="learned" if args.learned else "rules"
        )
        print(f"answer path: {settings.answer_model}")
        services = build_services(settings)
        knowledge = services.knowledge
        for path in sets:
            rows = [r for r in load(path) if r.get("source", "written") == "written"]
            splits = sorted({r.get("split", "") for r in rows})
            outputs = asyncio.run(answer_all(knowledge, rows))
            for split in splits:
                part = [i for i, r in enumerate(rows) if r.get("split", "") == split]
                title = f"{path.name}" + (f" [{split}]" if split else "")
                print(f"\n== {title}: {len(part)} questions")
                picked_rows = [rows[i] for i in part]
                picked_outputs = [outputs[i] for i in part]
                print(score(module, picked_rows, picked_outputs, tmp).rstrip())
                if any("answer_sentences" in r for r in picked_rows):
                    print(sentence_and_gate(knowledge, picked_rows, picked_outputs))
                failed = failures(module, picked_rows, picked_outputs)
                if failed:
                    print("failing:\n" + "\n".join(failed))
        dev_retrieval = SHARED_EVAL / "qa_dev.jsonl"
        if dev_retrieval.exists():
            dev = load(dev_retrieval)
            report = evaluate(services, dev)
            print(f"\n== retrieval on {dev_retrieval.name}: {json.dumps(report['per_lang'])}")
            print(f"   off-topic declined {report['off_topic_declined']}")
            warm = latency(services, [q for q in dev if q["answerable"]] + dev)
            print(f"\n== warm ask (no LLM): {json.dumps(warm)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
