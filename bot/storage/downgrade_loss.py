"""What a schema downgrade would drop, with the rows that hold data, before it runs.

`cvm db downgrade 0004` once lost 1,630 survey answers without a word, and `downgrade
base` dropped every table with exit 0. A downgrade's migrations drop whatever the
upgrades after the target created; which tables and columns that is comes from replaying
the migrations on a scratch SQLite database (the same scripts make the same schema), and
the rows at stake are counted in the real database, which is not touched. Rows a
downgrade deletes from a table it keeps (survey answers of earlier waves, which the older
schema cannot hold) are counted by the query ROWS_DROPPED names for the revision undone.
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
    why: str = ""  # rows deleted from a table the downgrade keeps: which ones

    def line(self) -> str:
        if self.why:
            return f"  {self.table}: {self.rows} {'row' if self.rows == 1 else 'rows'} ({self.why})"
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


# revision -> (table, the rows its downgrade deletes from that table, a COUNT query, why)
ROWS_DROPPED: dict[str, tuple[str, str, str]] = {
    "0008": (
        "survey_response",
        "SELECT (SELECT COUNT(*) FROM survey_response) - (SELECT COUNT(*) FROM "
        "(SELECT DISTINCT instrument, respondent_id FROM survey_response) AS kept)",
        "answers of earlier survey waves: the older schema keeps each respondent's latest",
    ),
}


def _undone(current: str | None, target: str) -> list[str]:
    """The revisions a downgrade from `current` to `target` undoes (revision ids are
    zero-padded numbers, so they compare as strings)."""
    if current is None:
        return []
    low = "" if target in ("base", "") else target
    return [r for r in ROWS_DROPPED if low < r <= current]


def _quoted(engine: Engine, name: str) -> str:
    return str(engine.dialect.identifier_preparer.quote(name))


def downgrade_losses(engine: Engine, target: str) -> list[Loss]:
    """Every table and column a downgrade from the database's revision to `target` drops,
    in table order, with the rows that hold data in the database now."""
    current = migrate.current_revision(engine)
    now, then = _shape(current), _shape(target)
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
        for revision in _undone(current, target):
            table, query, why = ROWS_DROPPED[revision]
            if table in present and table in then:
                count = connection.execute(text(query)).scalar()
                losses.append(Loss(table, None, int(count or 0), why))
    return losses


def backup_hint(engine: Engine) -> str:
    """How to back this database up, in one line."""
    if engine.dialect.name == "sqlite":
        path = engine.url.database or "the database file"
        return f"back up first: stop the bot, then cp {path} {path}.backup"
    return "back up first: deploy/backup.sh backup cvm-$(date +%F).dump (deploy/README.md)"
