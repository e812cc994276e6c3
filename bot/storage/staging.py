"""Stage rows in a TEMP table, then swap them into the real table in one short statement.

SQLite has one writer at a time for the whole database file. A long write (a publish of
many customers) held that lock for its whole length, so every short write of the bot
(an audit-log row before a manager's card, a quiz lease renewal) waited for it, then
failed with "database is locked". A TEMP table lives in the connection's own temporary
database: filling it takes no lock on the main file. Only the final copy, done by the
database engine itself (INSERT ... SELECT, no Python per row), takes the write lock.
"""

from __future__ import annotations

from sqlalchemy import Connection, MetaData, Table, delete, literal, select


def temp_copy(connection: Connection, table: Table, name: str) -> Table:
    """An empty TEMP table with `table`'s columns on this connection (no keys, no
    indexes: it is read once, in full)."""
    connection.exec_driver_sql(f'DROP TABLE IF EXISTS temp."{name}"')
    connection.exec_driver_sql(
        f'CREATE TEMP TABLE "{name}" AS SELECT * FROM main."{table.name}" WHERE 0'
    )
    return table.to_metadata(MetaData(), name=name)


def drop_temp(connection: Connection, staged: Table) -> None:
    connection.exec_driver_sql(f'DROP TABLE IF EXISTS temp."{staged.name}"')


def replace_from(
    connection: Connection, table: Table, staged: Table, constants: dict[str, object]
) -> None:
    """`table` holds exactly `staged`'s rows afterwards, with the columns named in
    `constants` set to those values (e.g. the id of the fit that made them)."""
    names = [column.name for column in table.columns]
    picked = [
        literal(constants[name]).label(name) if name in constants else staged.c[name]
        for name in names
    ]
    connection.execute(delete(table))
    connection.execute(table.insert().from_select(names, select(*picked)))
