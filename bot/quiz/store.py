"""Quiz sessions, rounds and answers in the database (blocking; called from threads)."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import cast

from sqlalchemy import Engine, Table, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, SQLModel, col
from sqlmodel import select as sqlmodel_select

from bot.storage.models import QuizAnswer, QuizRound, QuizSession

OPEN_STATES = ("running", "paused", "stopping")


def _table(model: type[SQLModel]) -> Table:
    return cast(Table, model.__table__)  # type: ignore[attr-defined]


SESSION, ROUND, ANSWER = _table(QuizSession), _table(QuizRound), _table(QuizAnswer)


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def naive(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


@dataclass(frozen=True, slots=True)
class Standing:
    user_id: int
    name: str
    points: int
    correct: int
    answered: int
    avg_seconds: float


@dataclass(frozen=True, slots=True)
class TopicResult:
    topic: str
    correct: int
    answered: int

    @property
    def accuracy(self) -> float:
        return self.correct / self.answered if self.answered else 0.0


class QuizStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # --- sessions ---------------------------------------------------------------------------
    def create_session(
        self,
        chat_id: int,
        chat_type: str,
        trainer_id: int,
        lang: str,
        topic: str | None,
        difficulty: int | None,
        seconds: int,
        question_ids: list[str],
        show_board: bool = True,
        owner: str | None = None,
        lease_seconds: float = 0.0,
    ) -> QuizSession:
        with Session(self.engine) as session:
            row = QuizSession(
                chat_id=chat_id,
                chat_type=chat_type,
                trainer_id=trainer_id,
                lang=lang,
                topic=topic,
                difficulty=difficulty,
                seconds=seconds,
                show_board=show_board,
                question_ids_json=json.dumps(question_ids),
                state="running",
                owner=owner,
                lease_until=naive(utcnow()) + timedelta(seconds=lease_seconds) if owner else None,
            )
            session.add(row)
            session.commit()
            session.refresh(row)
            return row

    def get_session(self, session_id: int) -> QuizSession | None:
        with Session(self.engine) as session:
            return session.get(QuizSession, session_id)

    def active_session(self, chat_id: int) -> QuizSession | None:
        with Session(self.engine) as session:
            return session.exec(
                sqlmodel_select(QuizSession)
                .where(QuizSession.chat_id == chat_id, col(QuizSession.state).in_(OPEN_STATES))
                .order_by(col(QuizSession.id).desc())
            ).first()

    def latest_session(self, chat_id: int) -> QuizSession | None:
        with Session(self.engine) as session:
            return session.exec(
                sqlmodel_select(QuizSession)
                .where(QuizSession.chat_id == chat_id)
                .order_by(col(QuizSession.id).desc())
            ).first()

    def open_sessions(self) -> list[QuizSession]:
        with Session(self.engine) as session:
            return list(
                session.exec(
                    sqlmodel_select(QuizSession).where(col(QuizSession.state).in_(OPEN_STATES))
                )
            )

    def set_state(self, session_id: int, state: str) -> None:
        values: dict[str, object] = {"state": state}
        if state in ("finished", "stopped"):
            values["finished_at"] = utcnow()
        with self.engine.begin() as conn:
            conn.execute(update(SESSION).where(SESSION.c.id == session_id).values(**values))

    def advance(self, session_id: int, position: int) -> None:
        """Move past `position` (only once, even if two tasks race to do it)."""
        with self.engine.begin() as conn:
            conn.execute(
                update(SESSION)
                .where(SESSION.c.id == session_id, SESSION.c.current == position)
                .values(current=position + 1)
            )

    # --- leases: which process runs which session ---------------------------------------------
    def claim_sessions(self, owner: str, lease_seconds: float) -> list[int]:
        """Take (or keep) every open session that is ours or whose owner's lease ran out;
        the ids returned are exactly the sessions this owner may run now."""
        now = naive(utcnow())
        with self.engine.begin() as conn:
            rows = conn.execute(
                update(SESSION)
                .where(
                    col(SESSION.c.state).in_(OPEN_STATES),
                    or_(
                        SESSION.c.owner.is_(None),
                        SESSION.c.owner == owner,
                        SESSION.c.lease_until.is_(None),
                        SESSION.c.lease_until < now,
                    ),
                )
                .values(owner=owner, lease_until=now + timedelta(seconds=lease_seconds))
                .returning(SESSION.c.id)
            )
            return sorted(int(row[0]) for row in rows)

    def release_sessions(self, owner: str) -> None:
        """Hand our open sessions over at once (a graceful shutdown)."""
        with self.engine.begin() as conn:
            conn.execute(
                update(SESSION)
                .where(SESSION.c.owner == owner, col(SESSION.c.state).in_(OPEN_STATES))
                .values(owner=None, lease_until=None)
            )

    def set_skip(self, session_id: int, position: int) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(SESSION).where(SESSION.c.id == session_id).values(skip=position))

    def mark_sending(self, session_id: int, position: int | None) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(SESSION).where(SESSION.c.id == session_id).values(sending=position))

    # --- rounds -----------------------------------------------------------------------------
    def add_round(
        self,
        session_id: int,
        position: int,
        question_id: str,
        poll_id: str,
        message_id: int,
        correct_option: int,
        topic: str,
        sent_at: datetime,
        closes_at: datetime,
    ) -> QuizRound:
        with Session(self.engine) as session:
            row = QuizRound(
                session_id=session_id,
                position=position,
                question_id=question_id,
                poll_id=poll_id,
                message_id=message_id,
                correct_option=correct_option,
                topic=topic,
                sent_at=naive(sent_at),
                closes_at=naive(closes_at),
            )
            session.add(row)
            # The round and the end of "sending" commit together: no moment where neither
            # says a poll is out there.
            session.execute(update(SESSION).where(SESSION.c.id == session_id).values(sending=None))
            session.commit()
            session.refresh(row)
            return row

    def round_at(self, session_id: int, position: int) -> QuizRound | None:
        with Session(self.engine) as session:
            return session.exec(
                sqlmodel_select(QuizRound).where(
                    QuizRound.session_id == session_id, QuizRound.position == position
                )
            ).first()

    def round_by_poll(self, poll_id: str) -> QuizRound | None:
        with Session(self.engine) as session:
            return session.exec(
                sqlmodel_select(QuizRound).where(QuizRound.poll_id == poll_id)
            ).first()

    def close_round(self, round_id: int) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(ROUND).where(ROUND.c.id == round_id).values(closed=True))

    # --- answers ----------------------------------------------------------------------------
    def record_answers(self, answers: list[dict[str, object]]) -> list[bool]:
        """Insert many answers in one transaction; per answer, True if it is the user's first
        for that round (a retry or a duplicate update changes nothing)."""
        dialect = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        statement = dialect.insert(ANSWER).on_conflict_do_nothing(
            index_elements=["round_id", "user_id"]
        )
        now = utcnow()
        with self.engine.begin() as conn:
            return [
                bool(conn.execute(statement, {**answer, "answered_at": now}).rowcount)
                for answer in answers
            ]

    def record_answer(
        self,
        round_id: int,
        user_id: int,
        name: str,
        option: int,
        correct: bool,
        seconds: float,
        points: int,
    ) -> bool:
        row: dict[str, object] = {
            "round_id": round_id,
            "user_id": user_id,
            "user_name": name[:64],
            "option": option,
            "correct": correct,
            "seconds": seconds,
            "points": points,
        }
        return self.record_answers([row])[0]

    def answer_count(self, round_id: int) -> int:
        with self.engine.connect() as conn:
            return int(
                conn.execute(
                    select(func.count()).select_from(ANSWER).where(ANSWER.c.round_id == round_id)
                ).scalar_one()
            )

    def answered_users(self, round_id: int) -> set[int]:
        with self.engine.connect() as conn:
            return set(
                conn.execute(
                    select(ANSWER.c.user_id).where(ANSWER.c.round_id == round_id)
                ).scalars()
            )

    def participants(self, session_id: int, before: int) -> set[int]:
        """Who answered any question of the session before position `before` (who is present)."""
        with self.engine.connect() as conn:
            return set(
                conn.execute(
                    select(ANSWER.c.user_id)
                    .join(ROUND, ROUND.c.id == ANSWER.c.round_id)
                    .where(ROUND.c.session_id == session_id, ROUND.c.position < before)
                ).scalars()
            )

    def leaderboard(self, session_id: int) -> list[Standing]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(
                    ANSWER.c.user_id,
                    func.max(ANSWER.c.user_name),
                    func.sum(ANSWER.c.points),
                    func.sum(func.cast(ANSWER.c.correct, ANSWER.c.points.type)),
                    func.count(),
                    func.avg(ANSWER.c.seconds),
                )
                .join(ROUND, ROUND.c.id == ANSWER.c.round_id)
                .where(ROUND.c.session_id == session_id)
                .group_by(ANSWER.c.user_id)
            ).all()
        standings = [
            Standing(int(u), str(n), int(p or 0), int(c or 0), int(a), float(s or 0.0))
            for u, n, p, c, a, s in rows
        ]
        return sorted(standings, key=lambda s: (-s.points, s.avg_seconds, s.user_id))

    def topic_results(self, session_id: int, user_id: int | None = None) -> list[TopicResult]:
        query = (
            select(ROUND.c.topic, ANSWER.c.correct)
            .join(ROUND, ROUND.c.id == ANSWER.c.round_id)
            .where(ROUND.c.session_id == session_id)
        )
        if user_id is not None:
            query = query.where(ANSWER.c.user_id == user_id)
        return self._by_topic(query)

    def user_topics(self, user_id: int) -> list[TopicResult]:
        query = (
            select(ROUND.c.topic, ANSWER.c.correct)
            .join(ROUND, ROUND.c.id == ANSWER.c.round_id)
            .where(ANSWER.c.user_id == user_id)
        )
        return self._by_topic(query)

    def user_sessions(self, user_id: int) -> int:
        with self.engine.connect() as conn:
            return int(
                conn.execute(
                    select(func.count(func.distinct(ROUND.c.session_id)))
                    .join(ANSWER, ROUND.c.id == ANSWER.c.round_id)
                    .where(ANSWER.c.user_id == user_id)
                ).scalar_one()
            )

    def _by_topic(self, query) -> list[TopicResult]:  # type: ignore[no-untyped-def]
        counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        with self.engine.connect() as conn:
            for topic, correct in conn.execute(query):
                counts[topic][0] += int(bool(correct))
                counts[topic][1] += 1
        return [TopicResult(t, c, a) for t, (c, a) in sorted(counts.items())]

    def session_rows(
        self, session_id: int
    ) -> list[tuple[int, str, str, str, int, bool, float, int]]:
        """(position, question, user name, user id, option, correct, seconds, points) for CSV."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(
                    ROUND.c.position,
                    ROUND.c.question_id,
                    ANSWER.c.user_name,
                    ANSWER.c.user_id,
                    ANSWER.c.option,
                    ANSWER.c.correct,
                    ANSWER.c.seconds,
                    ANSWER.c.points,
                )
                .join(ROUND, ROUND.c.id == ANSWER.c.round_id)
                .where(ROUND.c.session_id == session_id)
                .order_by(ROUND.c.position, ANSWER.c.points.desc())
            ).all()
        return [tuple(r) for r in rows]
