"""`cvm db upgrade|current|history|downgrade`: the only way an existing schema changes."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from bot.config import Settings

if TYPE_CHECKING:
    from sqlalchemy import Engine


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    db = sub.add_parser("db", help="the database schema: upgrade, current, history, downgrade")
    dsub = db.add_subparsers(dest="db_command", required=True)
    up = dsub.add_parser("upgrade", help="upgrade the schema (back up the database first)")
    up.add_argument("revision", nargs="?", default="head")
    dsub.add_parser("current", help="the database's schema revision and this version's")
    dsub.add_parser("history", help="every schema revision this version knows")
    down = dsub.add_parser(
        "downgrade", help="downgrade the schema to REVISION (or base); says what it drops"
    )
    down.add_argument("revision")
    down.add_argument(
        "--yes", action="store_true", help="drop the tables and columns it lists, holding data"
    )


def run_db(args: argparse.Namespace, settings: Settings) -> int:
    from alembic.util.exc import CommandError

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
        if args.db_command == "downgrade" and before not in known | {None}:
            print(f"cvm db downgrade: the database is at {before}, which this version does not "
                  "know: downgrade with the version that upgraded it", file=sys.stderr)  # fmt: skip
            return 2
        try:
            if args.db_command == "upgrade":
                migrate.upgrade(engine, args.revision)
            else:
                if not _downgrade_agreed(engine, args.revision, args.yes):
                    return 2
                migrate.downgrade(engine, args.revision)
        except CommandError as exc:  # e.g. a "downgrade" to a later revision
            print(f"cvm db {args.db_command}: {str(exc).splitlines()[0]}", file=sys.stderr)
            return 2
        after = migrate.current_revision(engine)
        print(f"database schema: {before or 'empty'} -> {after or 'empty'}")
        return 0
    finally:
        engine.dispose()


def _downgrade_agreed(engine: Engine, revision: str, yes: bool) -> bool:
    """True when the downgrade drops no data, or the operator agreed: `--yes`, or "yes"
    typed at a terminal. Without a terminal and without --yes, nobody can agree."""
    from bot.storage.downgrade_loss import backup_hint, downgrade_losses

    losses = downgrade_losses(engine, revision)
    held = [loss for loss in losses if loss.rows]
    if not held:
        return True
    out = sys.stderr
    print(f"cvm db downgrade {revision} drops data that an upgrade does not bring back:", file=out)
    for loss in held:
        print(loss.line(), file=out)
    print(backup_hint(engine), file=out)
    if yes:
        return True
    if not sys.stdin.isatty():
        print(f"cvm db downgrade: refused; run `cvm db downgrade {revision} --yes` to drop it",
              file=out)  # fmt: skip
        return False
    try:
        answer = input("Type yes to drop it: ")
    except EOFError:
        answer = ""
    if answer.strip().lower() != "yes":
        print("cvm db downgrade: nothing changed", file=out)
        return False
    return True
