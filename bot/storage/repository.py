"""Persistence for exchanges and feedback behind a small async API.

SQLite calls are short but blocking; they run in a worker thread so one slow
disk never stalls the dispatcher.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event
from sqlmodel import Session, create_engine, select

from bot.storage.migrate import check_schema, is_empty
from bot.storage.migrate import upgrade as migrate_upgrade
from bot.storage.models import Exchange, Feedback
from knowledge.models import Answer, Lang, PriorExchange


def open_database(url: str, upgrade: bool = False) -> Engine:
    """An engine on a database at this version's schema, or SchemaMismatch.

    An empty database gets the schema; an existing one is upgraded only when
    `upgrade` is set (the terminal chat's own database, `cvm db upgrade`)."""
    engine = make_engine(url, migrate=False)
    try:
        if upgrade or is_empty(engine):
            migrate_upgrade(engine)
        else:
            check_schema(engine)
    except BaseException:
        engine.dispose()
        raise
    return engine


def make_engine(url: str, migrate: bool = True) -> Engine:
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        engine = create_engine(url, pool_pre_ping=True)
    if migrate:
        migrate_upgrade(engine)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """WAL lets the bot read while an import writes; foreign keys are off by default in SQLite."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


@dataclass(frozen=True, slots=True)
class FeedbackRow:
    created_at: datetime
    user_id: int
    helpful: bool
    question: str
    answer: str
    sources: list[dict[str, object]]


class Repository:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    async def save_exchange(self, chat_id: int, user_id: int | None, answer: Answer) -> int:
        return await asyncio.to_thread(self._save_exchange, chat_id, user_id, answer)

    def _save_exchange(self, chat_id: int, user_id: int | None, answer: Answer) -> int:
        row = Exchange(
            chat_id=chat_id,
            user_id=user_id,
            question=answer.question,
            answer=answer.text,
            lang=answer.lang.value,
            answered=answer.answered,
            sources_json=json.dumps(answer.as_json_dict()["sources"], ensure_ascii=False),
        )
        with Session(self._engine) as session:
            session.add(row)
            session.commit()
            session.refresh(row)
            assert row.id is not None
            return row.id

    async def get_exchange(self, exchange_id: int) -> Exchange | None:
        return await asyncio.to_thread(self._get_exchange, exchange_id)

    def _get_exchange(self, exchange_id: int) -> Exchange | None:
        with Session(self._engine) as session:
            return session.get(Exchange, exchange_id)

    async def last_exchange(self, chat_id: int, within: timedelta) -> PriorExchange | None:
        return await asyncio.to_thread(self._last_exchange, chat_id, within)

    def _last_exchange(self, chat_id: int, within: timedelta) -> PriorExchange | None:
        since = datetime.now(UTC) - within
        with Session(self._engine) as session:
            row = session.exec(
                select(Exchange)
                .where(Exchange.chat_id == chat_id, Exchange.answered)
                .order_by(Exchange.id.desc())  # type: ignore[union-attr]
                .limit(1)
            ).first()
        if row is None or _aware(row.created_at) < since:
            return None
        return PriorExchange(question=row.question, answer=row.answer, lang=Lang(row.lang))

    async def record_feedback(self, exchange_id: int, user_id: int, helpful: bool) -> bool:
        return await asyncio.to_thread(self._record_feedback, exchange_id, user_id, helpful)

    def _record_feedback(self, exchange_id: int, user_id: int, helpful: bool) -> bool:
        """One vote per user and answer; voting again changes the vote. False: no such answer."""
        with Session(self._engine) as session:
            if session.get(Exchange, exchange_id) is None:
                return False
            existing = session.exec(
                select(Feedback).where(
                    Feedback.exchange_id == exchange_id, Feedback.user_id == user_id
                )
            ).first()
            if existing is None:
                session.add(Feedback(exchange_id=exchange_id, user_id=user_id, helpful=helpful))
            else:
                existing.helpful = helpful
                existing.created_at = datetime.now(UTC)
                session.add(existing)
            session.commit()
            return True

    def list_feedback(self, limit: int = 100) -> list[FeedbackRow]:
        with Session(self._engine) as session:
            rows = session.exec(
                select(Feedback, Exchange)
                .where(Feedback.exchange_id == Exchange.id)
                .order_by(Feedback.id.desc())  # type: ignore[union-attr]
                .limit(limit)
            ).all()
        return [
            FeedbackRow(
                created_at=fb.created_at,
                user_id=fb.user_id,
                helpful=fb.helpful,
                question=ex.question,
                answer=ex.answer,
                sources=json.loads(ex.sources_json),
            )
            for fb, ex in rows
        ]


def _aware(moment: datetime) -> datetime:
    """SQLite hands datetimes back naive; they were stored in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
