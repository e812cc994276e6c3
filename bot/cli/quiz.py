"""`cvm quiz list|export|check`: the question bank for trainers."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.cli.json_out import print_json
from bot.config import Settings
from bot.csv_out import csv_writer


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    quiz = sub.add_parser("quiz", help="the quiz question bank")
    qsub = quiz.add_subparsers(dest="quiz_command", required=True)
    listing = qsub.add_parser("list", help="list questions")
    listing.add_argument("--topic")
    listing.add_argument("--lang", help="zh-Hant, zh-Hans or en")
    listing.add_argument("--json", action="store_true", help="one JSON object per line")
    export = qsub.add_parser("export", help="all questions as CSV")
    export.add_argument("--out", type=Path, help="default: standard output")
    check = qsub.add_parser("check", help="validate the bank (exit 1 on problems)")
    check.add_argument(
        "--bank", type=Path, help="a folder of *.yaml files (default: the built-in bank)"
    )


def run_quiz(args: argparse.Namespace, settings: Settings) -> int:
    from knowledge.chunking import current_chunks
    from knowledge.quiz.bank import BANK_DIR, load_entries
    from knowledge.quiz.generate import proposed_entries
    from knowledge.quiz.validate import check_all, valid_questions

    chunks = current_chunks(settings.corpus_dir)
    bank_dir = getattr(args, "bank", None) or BANK_DIR
    try:
        entries = load_entries(chunks, bank_dir)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        print(f"cvm quiz: cannot read the bank in {bank_dir}: {exc}", file=sys.stderr)
        return 2
    if args.quiz_command == "check":
        problems = check_all(entries)
        for problem in problems:
            print(f"{problem.question_id}: {problem.message}")
        questions = valid_questions(entries)
        rejected = len({p.question_id.split(".")[0] for p in problems})
        generated = sum(e.origin == "generated" for e in entries)
        print(
            f"{len(entries)} questions checked ({generated} generated from the corpus, of "
            f"{len(proposed_entries(chunks))} proposed), {rejected} rejected; "
            f"{len(questions)} usable in all languages",
            file=sys.stderr,
        )
        return 1 if problems else 0
    questions = valid_questions(entries)
    if getattr(args, "topic", None):
        questions = [q for q in questions if q.topic == args.topic]
    if getattr(args, "lang", None):
        questions = [q for q in questions if q.lang.lower() == args.lang.lower()]
    if args.quiz_command == "export":
        handle = args.out.open("w", encoding="utf-8-sig", newline="") if args.out else sys.stdout
        writer = csv_writer(handle)
        writer.writerow(
            ["id", "lang", "topic", "difficulty", "question", "options", "correct", "explanation",
             "doc", "section"]
        )  # fmt: skip
        for q in questions:
            writer.writerow(
                [q.id, q.lang, q.topic, q.difficulty, q.question, " | ".join(q.options),
                 q.correct + 1, q.explanation, q.source.doc, q.source.section]
            )  # fmt: skip
        if args.out:
            handle.close()
            print(f"exported {len(questions)} questions -> {args.out}", file=sys.stderr)
        return 0
    for q in questions:
        if args.json:
            print_json(q.as_json_dict())
        else:
            print(f"[{q.id}] ({q.topic}, {q.difficulty}) {q.question}")
            for n, option in enumerate(q.options):
                print(f"    {'*' if n == q.correct else ' '} {n + 1}. {option}")
    return 0
