"""Checked rows straight into `customer_transaction`, inside the import's transaction.

A file that passed the column checks needs no staging table: SQLite takes the rows with
a prepared executemany that skips refs already imported, PostgreSQL takes them by COPY.
Keeping the secondary indexes (and on PostgreSQL the ref's unique index and the per-row
foreign-key trigger) up to date row by row is most of a large load's time: a million
rows took 16 s on PostgreSQL with them and 4 s with them built afterwards. So when the
load is at least as large as the table already is, they are set aside and rebuilt once
at the end, as the databases' own bulk-loading advice says; a smaller load into a large
table keeps them, since rebuilding costs the whole table. Everything stays in the
import's transaction: a rollback brings them back as they were. On PostgreSQL the
rebuild locks the table against readers until the import commits.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import IntegrityError

from bot.customers.transactions_columns import CheckedColumns

TABLE = "customer_transaction"
COLUMNS = "ref, customer_id, ts, day, amount, gross_margin, cost"
CACHE_KB = 32_768


@dataclass(frozen=True, slots=True)
class Prepared:
    """A block ready for the driver: COPY text for PostgreSQL, tuples for SQLite."""

    rows: int
    csv: bytes | None = None
    refs: Any = None  # PostgreSQL: the block's refs (Arrow), to look for imported ones
    batches: list[list[tuple[Any, ...]]] = field(default_factory=list)


class RefsAlreadyStored(Exception):
    """PostgreSQL's COPY met a ref the table has: the caller stages and merges instead."""


@dataclass
class _SetAside:
    """DDL to run before the load and the DDL that undoes it after."""

    drop: list[str] = field(default_factory=list)
    restore: list[str] = field(default_factory=list)
    unique_refs: bool = False  # the ref's unique constraint is among them


@contextmanager
def load_transaction(engine: Engine) -> Iterator[Connection]:
    """The import's one transaction, committed when the block ends without an exception.

    On SQLite it takes the write lock at once (BEGIN IMMEDIATE): the customer ids read
    first cannot change before the commit, and every row's customer is checked against
    them, so SQLite's own foreign-key lookup (a third of a million rows' time) is off for
    this transaction and on again after. The bot never deletes customers in any case."""
    with engine.connect() as connection:
        if connection.dialect.name != "sqlite":
            with connection.begin():
                yield connection
            return
        connection.exec_driver_sql("PRAGMA foreign_keys = OFF")  # outside a transaction
        connection.commit()
        try:
            with connection.begin():
                connection.exec_driver_sql("BEGIN IMMEDIATE")
                yield connection
        finally:
            connection.exec_driver_sql("PRAGMA foreign_keys = ON")
            connection.commit()


class _Abandoned(Exception):
    """The import stopped before its COPY ended."""


@contextmanager
def _refs_stored() -> Iterator[None]:
    """PostgreSQL's unique violation as the caller's cue to merge instead."""
    import psycopg

    try:
        yield
    except psycopg.errors.UniqueViolation as exc:
        raise RefsAlreadyStored from exc
    except IntegrityError as exc:  # the same, through SQLAlchemy
        if isinstance(exc.orig, psycopg.errors.UniqueViolation):
            raise RefsAlreadyStored from exc
        raise


class DirectLoad:
    """One import's rows into the table; `finish` rebuilds what was set aside."""

    def __init__(self, connection: Connection, expected_rows: int) -> None:
        self.connection = connection
        self.postgres = connection.dialect.name == "postgresql"
        self._copying = ExitStack()
        self._copy: Any = None
        stored = connection.exec_driver_sql(f"SELECT MAX(id) FROM {TABLE}").scalar()
        self.aside = _SetAside()
        if expected_rows >= int(stored or 0):
            self.aside = _postgres_aside(connection) if self.postgres else _sqlite_aside(connection)
        if not self.postgres:
            # SQLite's default 2 MB page cache makes a million inserts into the ref index
            # thrash; a larger one for this connection keeps it in memory.
            connection.exec_driver_sql(f"PRAGMA cache_size = -{CACHE_KB}")
        for statement in self.aside.drop:
            connection.exec_driver_sql(statement)

    def prepare(self, block: CheckedColumns) -> Prepared:
        """The block in the driver's form; touches no database, so it can run ahead on
        another thread while the previous block is written."""
        if self.postgres:
            return Prepared(len(block), csv=block.csv(), refs=block.refs)
        return Prepared(len(block), batches=list(block.rows(as_text=True)))

    def write(self, block: Prepared) -> int:
        """The number of rows added (SQLite skips refs already imported)."""
        raw = self.connection.connection.driver_connection
        assert raw is not None
        if block.csv is not None:
            # One COPY for the whole load: the server takes the rows as a stream while
            # the next block is prepared, instead of a round trip and a statement a block.
            if self._copy is None:
                if self.aside.unique_refs and self._stored(block.refs):
                    # A file imported before (most re-imports): merge now rather than
                    # after writing it all and failing the unique constraint's return.
                    raise RefsAlreadyStored
                cursor = self._copying.enter_context(raw.cursor())
                self._copy = self._copying.enter_context(
                    cursor.copy(f"COPY {TABLE} ({COLUMNS}) FROM STDIN WITH (FORMAT csv)")
                )
            with _refs_stored():
                self._copy.write(block.csv)
            return block.rows
        cursor = raw.cursor()
        added = 0
        try:
            for rows in block.batches:
                cursor.executemany(
                    f"INSERT INTO {TABLE} ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT (ref) DO NOTHING",
                    rows,
                )
                added += cursor.rowcount
        finally:
            cursor.close()
        return added

    def _stored(self, refs: Any) -> bool:
        """Whether any of these refs is in the table already (by its unique index)."""
        found = self.connection.exec_driver_sql(
            f"SELECT 1 FROM {TABLE} WHERE ref = ANY(%(refs)s) LIMIT 1",
            {"refs": refs.to_pylist()},
        ).first()
        return found is not None

    def finish(self) -> None:
        self._copy = None
        with _refs_stored():
            self._copying.close()  # the end of the COPY: constraints are checked by now
        if not self.postgres and self.aside.restore:
            # SQLite's sorter builds an index fastest with a small page cache and a
            # helper thread: 0.8 s for a million rows instead of 2.2 s with the
            # import's large cache.
            self.connection.exec_driver_sql("PRAGMA cache_size = -2000")
            self.connection.exec_driver_sql("PRAGMA threads = 2")
        with _refs_stored():  # the ref's unique constraint back: a ref imported before
            for statement in self.aside.restore:
                self.connection.exec_driver_sql(statement)

    def close(self) -> None:
        """An unfinished COPY is cancelled; the pooled connection goes back to serving
        reads with SQLite's defaults."""
        if self._copy is not None:
            self._copy = None
            # The transaction rolls back either way; the first error is the one to tell.
            with suppress(Exception):
                self._copying.__exit__(_Abandoned, _Abandoned(), None)
        if not self.postgres:
            self.connection.exec_driver_sql("PRAGMA cache_size = -2000")
            self.connection.exec_driver_sql("PRAGMA threads = 0")


def _sqlite_aside(connection: Connection) -> _SetAside:
    """The table's non-unique indexes, as the database defines them (the unique ref index
    stays: it is what skips rows already imported)."""
    aside = _SetAside()
    for _, name, unique, origin, _ in connection.exec_driver_sql(f"PRAGMA index_list({TABLE})"):
        if unique or origin != "c":
            continue
        sql = connection.exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?", (name,)
        ).scalar()
        if sql:
            aside.drop.append(f'DROP INDEX "{name}"')
            aside.restore.append(str(sql))
    return aside


def _postgres_aside(connection: Connection) -> _SetAside:
    """Non-unique indexes, the foreign key and the ref's unique constraint, as the
    database defines them. Without the unique index COPY writes a million rows in half
    the time; putting it back checks every ref at once, and a ref already imported
    fails it then (`RefsAlreadyStored`), so nothing is ever stored twice."""
    aside = _SetAside()
    indexes = connection.exec_driver_sql(
        "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i "
        "JOIN pg_class c ON c.oid = i.indexrelid "
        f"WHERE i.indrelid = '{TABLE}'::regclass AND NOT i.indisunique AND NOT i.indisprimary"
    ).all()
    # Foreign keys first and unique constraints (the ref's) before them on the way back.
    constraints = connection.exec_driver_sql(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        f"WHERE conrelid = '{TABLE}'::regclass AND contype IN ('f', 'u') "
        "ORDER BY contype = 'u', conname"
    ).all()
    for name, _ in constraints:
        aside.drop.append(f'ALTER TABLE {TABLE} DROP CONSTRAINT "{name}"')
    for name, definition in indexes:
        aside.drop.append(f'DROP INDEX "{name}"')
        aside.restore.append(str(definition))
    for name, definition in reversed(constraints):
        aside.restore.append(f'ALTER TABLE {TABLE} ADD CONSTRAINT "{name}" {definition}')
    aside.unique_refs = any(definition.startswith("UNIQUE") for _, definition in constraints)
    return aside
