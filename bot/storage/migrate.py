"""The database schema, changed only on purpose, with Alembic.

An empty database is created at the latest schema by whatever opens it first
(there is nothing in it to lose). An existing one is upgraded or downgraded only
by `cvm db upgrade|downgrade`, which an operator runs after a backup; everything
else refuses to run against a schema other than its own and names the command
that fixes it. The terminal chat's own local database is the exception: it is
nobody's record, so it upgrades itself.

Databases made before migrations existed (the foundation release used
`create_all`) already hold the first revision's tables; they are stamped at that
revision first so upgrading never tries to create them twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text

from bot.storage.schema_mismatch import SchemaMismatch

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
BASELINE = "0001"
MIGRATION_LOCK = 0x63766D  # "cvm": any constant every process agrees on


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Several processes may start at once on one PostgreSQL database: a transaction-level
    advisory lock lets one migrate while the others wait, then find nothing left to do.
    (Several processes need PostgreSQL; SQLite is for one process.)"""
    config = alembic_config(engine)
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        config.attributes["connection"] = connection
        tables = set(inspect(connection).get_table_names())
        if "exchange" in tables and "alembic_version" not in tables:
            command.stamp(config, BASELINE)
        command.upgrade(config, revision)


def downgrade(engine: Engine, revision: str) -> None:
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


@dataclass(frozen=True, slots=True)
class Revision:
    revision: str
    down_revision: str | None
    doc: str


def _script() -> ScriptDirectory:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config)


def head_revision() -> str:
    head = _script().get_current_head()
    assert head is not None
    return head


def history() -> list[Revision]:
    """Every revision this version knows, oldest first."""
    revisions = [
        Revision(
            revision=script.revision,
            down_revision=script.down_revision if isinstance(script.down_revision, str) else None,
            doc=(script.doc or "").strip(),
        )
        for script in _script().walk_revisions()
    ]
    return revisions[::-1]


def is_empty(engine: Engine) -> bool:
    return not inspect(engine).get_table_names()


def check_schema(engine: Engine) -> None:
    """Raise SchemaMismatch unless the database is at this version's head revision."""
    head = head_revision()
    current = current_revision(engine)
    if current == head:
        return
    known = {r.revision for r in history()}
    if current is None:
        where = "has tables from before migrations" if not is_empty(engine) else "is empty"
        raise SchemaMismatch(
            f"the database {where}; this version of cvm-bot needs schema {head}: "
            "back up the database, then run `cvm db upgrade`"
        )
    if current in known:
        raise SchemaMismatch(
            f"the database schema is at revision {current} and this version of cvm-bot "
            f"needs {head}: back up the database, then run `cvm db upgrade`"
        )
    raise SchemaMismatch(
        f"the database schema is at revision {current}, newer than this version of "
        f"cvm-bot knows (it needs {head}): run the newer version, or with it "
        f"`cvm db downgrade {head}`"
    )
