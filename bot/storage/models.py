"""Tables: every answered question (so feedback and follow-ups can refer to it) and feedback."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import Field, SQLModel, UniqueConstraint


def _now() -> datetime:
    return datetime.now(UTC)


class Exchange(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = Field(index=True)
    user_id: int | None = None
    question: str
    answer: str
    lang: str
    answered: bool
    sources_json: str = "[]"  # the cited sources, as `cvm ask --json` prints them
    created_at: datetime = Field(default_factory=_now, index=True)


class Feedback(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("exchange_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    exchange_id: int = Field(foreign_key="exchange.id", index=True)
    user_id: int
    helpful: bool
    created_at: datetime = Field(default_factory=_now)
