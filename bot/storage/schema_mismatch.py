"""The error every command reports when the database is at another schema revision.

Its own module: `cvm` catches it for every command, and importing the migrations (alembic)
costs a quarter of a second that commands without a database should not pay.
"""


class SchemaMismatch(RuntimeError):
    """The database's schema is not this version's; the message names the command to run."""
