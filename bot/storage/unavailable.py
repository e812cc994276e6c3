"""The one line `cvm` prints when the database does not answer.

An operator whose PostgreSQL is down got a 40-line traceback from `cvm customer` and
`cvm db current`; what they need is which database and why, without the password.
"""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError


def database_unavailable(error: DBAPIError) -> str:
    """The driver's first line of reason (libpq names host and port, never the password)."""
    reason = str(error.orig if error.orig is not None else error).strip()
    first = reason.splitlines()[0] if reason else type(error).__name__
    return f"cannot use the database ({first[:300]}); is it running, and is DATABASE_URL right?"
