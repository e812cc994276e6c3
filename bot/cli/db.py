"""`cvm db upgrade|current|history|downgrade`: the only way an existing schema changes."""

from __future__ import annotations

import argparse
import sys

from bot.config import Settings


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    db = sub.add_parser("db", help="the database schema: upgrade, current, history, downgrade")
    dsub = db.add_subparsers(dest="db_command", required=True)
    up = dsub.add_parser("upgrade", help="upgrade the schema (back up the database first)")
    up.add_argument("revision", nargs="?", default="head")
    dsub.add_parser("current", help="the database's schema revision and this version's")
    dsub.add_parser("history", help="every schema revision this version knows")
    down = dsub.add_parser("downgrade", help="downgrade the schema to REVISION (or base)")
    down.add_argument("revision")


def run_db(args: argparse.Namespace, settings: Settings) -> int:
    from bot.storage import migrate
    from bot.storage.repository import make_engine

    engine = make_engine(settings.resolved_database_url, migrate=False)
    try:
        if args.db_command == "history":
            current = migrate.current_revision(engine)
            for rev in migrate.history():
                mark = "  <- the database" if rev.revision == current else ""
                print(f"{rev.revision}  {rev.doc.splitlines()[0] if rev.doc else ''}{mark}")
            return 0
        head = migrate.head_revision()
        if args.db_command == "current":
            current = migrate.current_revision(engine)
            state = "up to date" if current == head else "run `cvm db upgrade`"
            if current is not None and current not in {r.revision for r in migrate.history()}:
                state = "newer than this version"
            print(f"database: {current or 'empty'}; this version: {head} ({state})")
            return 0
        known = {r.revision for r in migrate.history()} | {"head", "base"}
        if args.revision not in known:
            print(f"cvm db {args.db_command}: unknown revision {args.revision!r}", file=sys.stderr)
            return 2
        before = migrate.current_revision(engine)
        if args.db_command == "upgrade":
            migrate.upgrade(engine, args.revision)
        else:
            migrate.downgrade(engine, args.revision)
        after = migrate.current_revision(engine)
        print(f"database schema: {before or 'empty'} -> {after or 'empty'}")
        return 0
    finally:
        engine.dispose()
