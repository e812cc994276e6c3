"""`cvm run`, `cvm index`, `cvm ask`, `cvm feedback`, `cvm doctor`, and the parser that joins
every group."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence
from importlib.metadata import version
from pathlib import Path

from pydantic import ValidationError

from bot.cli.json_out import print_json
from bot.config import Settings
from bot.logs import configure_logging


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        settings = Settings()
    except ValidationError as exc:
        for error in exc.errors():
            name = ".".join(str(part) for part in error["loc"]).upper()
            print(f"cvm: {name}: {error['msg']}", file=sys.stderr)
        return 2
    if args.command in ("run", "doctor") and args.mode:
        settings = settings.model_copy(update={"run_mode": args.mode})
    screen_level, log_file = _log_places(args, settings)
    configure_logging(
        settings.log_level, _log_format(args, settings), settings.secrets, screen_level, log_file
    )
    from sqlalchemy.exc import InterfaceError, OperationalError

    from bot.cli import db, quiz, survey, value
    from bot.storage.schema_mismatch import SchemaMismatch
    from bot.storage.unavailable import database_unavailable
    from value_engine.models import ModelError

    handler = {
        "run": _run,
        "index": _index,
        "ask": _ask,
        "feedback": _feedback,
        "doctor": _doctor,
        "import": value.run_import,
        "demo-data": value.run_demo,
        "value": value.run_value,
        "customer": value.run_customer,
        "users": value.run_users,
        "quiz": quiz.run_quiz,
        "db": db.run_db,
        "survey": survey.run_survey,
    }[args.command]
    try:
        return handler(args, settings)
    except SchemaMismatch as exc:
        print(f"cvm {args.command}: {exc}", file=sys.stderr)
        return 2
    except ModelError as exc:  # any command that fits: value fit, import, customer, demo-data
        print(f"cvm {args.command}: no scores stored: {exc}", file=sys.stderr)
        return 2
    except (OperationalError, InterfaceError) as exc:  # the server is down or unreachable
        print(f"cvm {args.command}: {database_unavailable(exc)}", file=sys.stderr)
        return 2


def _log_format(args: argparse.Namespace, settings: Settings) -> str:
    """JSON (the default) where a service runs; text where a person reads the terminal (the
    terminal chat, the other commands), unless LOG_FORMAT is set."""
    if "log_format" in settings.model_fields_set:
        return settings.log_format
    return settings.log_format if _serving(args, settings) else "text"


def _serving(args: argparse.Namespace, settings: Settings) -> bool:
    return bool(args.command == "run" and not settings.terminal_chat)


def _log_places(args: argparse.Namespace, settings: Settings) -> tuple[str | None, Path | None]:
    """(the lowest level shown on stderr, a log file): a service logs everything to stderr;
    a person at the terminal sees warnings only, and the terminal chat keeps the rest in a
    file under the data directory (LOG_LEVEL set by hand shows that level on stderr)."""
    if _serving(args, settings):
        return None, None
    chosen = "log_level" in settings.model_fields_set
    if args.command == "run":
        return (None if chosen else "WARNING"), settings.terminal_log_file
    return (None if chosen else "WARNING"), None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cvm", description=__doc__)
    parser.add_argument("--version", action="version", version=f"cvm-bot {version('cvm-bot')}")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser(
        "run",
        help="start the bot (terminal chat when no token is set)",
        description="Start the bot in one of three modes (the same as RUN_MODE).",
        epilog=(
            "modes: terminal = chat with the bot here, on the local database with the demo "
            "company, no token needed; polling = fetch updates from Telegram "
            "(TELEGRAM_BOT_TOKEN); webhook = Telegram posts updates to WEBHOOK_BASE_URL "
            "(TELEGRAM_BOT_TOKEN, WEBHOOK_SECRET). Every setting: .env.example."
        ),
    )
    run.add_argument(
        "--mode",
        choices=["terminal", "polling", "webhook"],
        help="terminal | polling | webhook (default: RUN_MODE, or terminal without a token)",
    )
    run.add_argument("--api-url", help="Bot API server base URL (default: Telegram's)")
    run.add_argument(
        "--lang", help="terminal chat only: your Telegram language code (e.g. zh-hant, zh, en)"
    )
    sub.add_parser("index", help="(re)build the knowledge index")
    ask = sub.add_parser("ask", help="ask the knowledge base a question")
    ask.add_argument("question", nargs="?")
    ask.add_argument("--json", action="store_true", help="print the answer as JSON")
    ask.add_argument("--file", type=Path, help="one question per line; prints JSON Lines")
    doctor = sub.add_parser(
        "doctor", help="check that this configuration will work (exit 1 on any failure)"
    )
    doctor.add_argument("--json", action="store_true")
    doctor.add_argument("--mode", choices=["terminal", "polling", "webhook"], help="as cvm run")
    feedback = sub.add_parser("feedback", help="list the feedback users gave on answers")
    feedback.add_argument("--limit", type=int, default=50)
    feedback.add_argument("--json", action="store_true")
    from bot.cli import db, quiz, survey, value

    value.add_parsers(sub)
    survey.add_parsers(sub)
    quiz.add_parsers(sub)
    db.add_parsers(sub)
    return parser


def _run(args: argparse.Namespace, settings: Settings) -> int:
    from bot.factory import build_services

    api_url = args.api_url or settings.telegram_api_url
    refusals = settings.refusals()
    if refusals:
        for line in refusals:
            print(f"cvm run: {line}", file=sys.stderr)
        return 2
    if settings.terminal_chat:
        from bot.runners.terminal import TERMINAL_USER_ID, run_terminal

        print(f"(logs: {settings.terminal_log_file})", file=sys.stderr)
        # The person at the terminal runs the bot on their own data: every role is theirs.
        admins = [*settings.admin_ids, TERMINAL_USER_ID]
        settings = settings.model_copy(update={"admin_ids": admins})
        # The terminal chat's own local database is nobody's record: it may upgrade itself.
        services = build_services(settings, upgrade_local=settings.database_url is None)
        if services.value.store.customer_count() == 0:
            from bot.cli.value import load_demo

            print("empty database: loading the demo company (cvm demo-data)...", file=sys.stderr)
            print(load_demo(settings), file=sys.stderr)

        code = args.lang or os.environ.get("LANG", "en").split(".")[0].replace("_", "-")
        asyncio.run(run_terminal(services, language_code=code))
        return 0
    assert settings.telegram_bot_token is not None  # refusals() checked it
    services = build_services(settings)
    token = settings.telegram_bot_token.get_secret_value()
    if settings.run_mode == "webhook":
        from bot.runners.webhook import run_webhook

        asyncio.run(run_webhook(services, token, api_url))
    else:
        from bot.runners.polling import run_polling

        asyncio.run(run_polling(services, token, api_url))
    return 0


def _index(args: argparse.Namespace, settings: Settings) -> int:
    from bot.progress import progress
    from knowledge.embedding import load_embedder
    from knowledge.index import build_index

    embedder = load_embedder(settings.embedder_threads) if settings.dense_retrieval else None
    with progress("knowledge index", "texts embedded") as step:
        report = build_index(settings.corpus_dir, settings.resolved_index_dir, embedder, step)
    print(
        f"indexed {report.chunks} passages ({report.sentences} sentences) "
        f"in {report.seconds:.1f} s with {report.embedder} -> {report.path}"
    )
    return 0


def _ask(args: argparse.Namespace, settings: Settings) -> int:
    from bot.factory import build_services

    if args.question is None and args.file is None:
        print("cvm ask: give a QUESTION or --file FILE", file=sys.stderr)
        return 2
    from knowledge.models import PriorExchange

    knowledge = build_services(settings).knowledge
    if args.file is not None:
        args.json = True
        questions = [q for q in args.file.read_text(encoding="utf-8-sig").splitlines() if q.strip()]
    else:
        questions = [args.question]

    async def ask_all() -> None:
        # One conversation, as in a chat: a line that points back ("那第二個呢?") is read
        # with the line before it; every other line stands alone.
        prior: PriorExchange | None = None
        for question in questions:
            answer = await knowledge.ask(question, prior=prior)
            if answer.answered:  # as the bot does: a follow-up leans on the last answered exchange
                prior = PriorExchange(question=question, answer=answer.text, lang=answer.lang)
            if args.json:
                print_json(answer.as_json_dict())
            else:
                print(answer.text)
                for n, source in enumerate(answer.sources, 1):
                    print(f"[{n}] {source.title} — {source.section}")

    asyncio.run(ask_all())
    return 0


def _doctor(args: argparse.Namespace, settings: Settings) -> int:
    from bot.doctor import as_json_dict, diagnose

    findings = diagnose(settings)
    if args.json:
        print_json(as_json_dict(findings))
    else:
        for finding in findings:
            print(finding.line())
    return 0 if all(f.ok for f in findings) else 1


def _feedback(args: argparse.Namespace, settings: Settings) -> int:
    from bot.storage.repository import Repository, open_database

    rows = Repository(open_database(settings.resolved_database_url)).list_feedback(args.limit)
    for row in rows:
        if args.json:
            print_json(
                {
                    "created_at": row.created_at.isoformat(),
                    "user_id": row.user_id,
                    "helpful": row.helpful,
                    "question": row.question,
                    "answer": row.answer,
                    "sources": row.sources,
                }
            )
        else:
            vote = "👍" if row.helpful else "👎"
            print(f"{row.created_at:%Y-%m-%d %H:%M} {vote} user {row.user_id}: {row.question}")
    if not rows and not args.json:
        print("no feedback yet")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
