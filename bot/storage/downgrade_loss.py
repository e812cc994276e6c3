"""What a schema downgrade would drop, with the rows that hold data, before it runs.

`cvm db downgrade 0004` once lost 1,630 survey answers without a word, and `downgrade
base` dropped every table with exit 0. A downgrade's migrations drop whatever the
upgrades after the target created; which tables and columns that is comes from replaying
the migrations on a scratch SQLite database (the same scripts make the same schema), and
the rows at stake are counted in the real database, which is not touched.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, create_engine, inspect, text

from bot.storage import migrate

Shape = dict[str, set[str]]  # table -> its columns


@dataclass(frozen=True, slots=True)
class Loss:
    """A table (column None) or a column the downgrade drops, and the rows with data."""

    table: str
    column: str | None
    rows: int

    def line(self) -> str:
        what = f"table {self.table}" if self.column is None else f"{self.table}.{self.column}"
        rows = f"{self.rows} {'row' if self.rows == 1 else 'rows'}"
        return f"  {what}: {rows}" + ("" if self.column is None else " with a value")


def _shape(revision: str | None) -> Shape:
    """The tables and columns of the schema at `revision` (None or "base": none)."""
    if revision in (None, "base"):
        return {}
    with tempfile.TemporaryDirectory(prefix="cvm-schema-") as folder:
        engine = create_engine(f"sqlite:///{Path(folder) / 'scratch.db'}")
        try:
            migrate.upgrade(engine, revision)
            found = inspect(engine)
            return {
                table: {c["name"] for c in found.get_columns(table)}
                for table in found.get_table_names()
                if table != "alembic_version"
            }
        finally:
            engine.dispose()


def _quoted(engine: Engine, name: str) -> str:
    return str(engine.dialect.identifier_preparer.quote(name))


def downgrade_losses(engine: Engine, target: str) -> list[Loss]:
    """Every table and column a downgrade from the database's revision to `target` drops,
    in table order, with the rows that hold data in the database now."""
    now, then = _shape(migrate.current_revision(engine)), _shape(target)
    losses = []
    with engine.connect() as connection:
        present = set(inspect(connection).get_table_names())
        for table in sorted(now):
            if table not in present:
                continue
            name = _quoted(engine, table)
            if table not in then:
                count = connection.execute(text(f"SELECT COUNT(*) FROM {name}")).scalar()
                losses.append(Loss(table, None, int(count or 0)))
                continue
            for column in sorted(now[table] - then[table]):
                count = connection.execute(
                    text(f"SELECT COUNT(*) FROM {name} WHERE {_quoted(engine, column)} IS NOT NULL")
                ).scalar()
                losses.append(Loss(table, column, int(count or 0)))
    return losses


def backup_hint(engine: Engine) -> str:
    """How to back this database up, in one line."""
    if engine.dialect.name == "sqlite":
        path = engine.url.database or "the database file"
        return f"back up first: stop the bot, then cp {path} {path}.backup"
    return "back up first: deploy/backup.sh backup cvm-$(date +%F).dump (deploy/README.md)"
