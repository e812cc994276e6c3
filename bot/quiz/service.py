"""Quiz sessions: draw questions, run one native quiz poll at a time, score, keep results.

Everything a session needs to continue lives in the database (session, rounds with
their poll ids and closing times, answers unique per round and user), so after a
restart `resume_all` picks every open session up where it was. Answers are recorded
whenever Telegram delivers them: Telegram only accepts votes while a poll is open,
so a vote that arrives late (say, while the bot was down) still counts, once.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import random
from dataclasses import dataclass
from datetime import timedelta

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError

from bot.quiz.store import QuizStore, Standing, utcnow
from bot.storage.models import QuizRound, QuizSession
from knowledge.quiz.models import QuizQuestion

log = logging.getLogger(__name__)
BASE_POINTS = 100
SPEED_POINTS = 50  # for answering at once, falling to 0 at the end of the time
RESUME_GRACE_SECONDS = 3.0  # after a restart, let pending poll answers arrive first
MIN_SECONDS, MAX_SECONDS = 10, 600  # Telegram's open_period is 5–600


def points_for(correct: bool, seconds: float, limit: float) -> int:
    if not correct:
        return 0
    fraction = max(0.0, 1.0 - seconds / limit) if limit > 0 else 0.0
    return BASE_POINTS + round(SPEED_POINTS * fraction)


@dataclass(frozen=True, slots=True)
class QuizSettings:
    topic: str | None = None
    count: int = 10
    seconds: int = 30
    difficulty: int | None = None


class QuizPresenter:
    """What the runner tells the chat; the router supplies it (texts and keyboards)."""

    async def round_result(
        self, bot: Bot, session: QuizSession, question: QuizQuestion, standings: list[Standing]
    ) -> None:
        raise NotImplementedError

    async def finished(self, bot: Bot, session: QuizSession, standings: list[Standing]) -> None:
        raise NotImplementedError

    def poll_markup(self, question: QuizQuestion, lang: str):  # type: ignore[no-untyped-def]
        return None


class QuizService:
    def __init__(self, store: QuizStore, questions: list[QuizQuestion]) -> None:
        self.store = store
        self.questions = {q.id: q for q in questions}
        self.presenter: QuizPresenter = QuizPresenter()
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._wake: dict[int, asyncio.Event] = {}
        self._skip: dict[int, int] = {}  # session id -> position of the question to skip

    # --- questions --------------------------------------------------------------------------
    def topics(self, lang: str) -> list[str]:
        return sorted({q.topic for q in self.questions.values() if q.lang == lang})

    def draw(self, lang: str, settings: QuizSettings, seed: int) -> list[str]:
        pool = [
            q.id
            for q in self.questions.values()
            if q.lang == lang
            and (settings.topic is None or q.topic == settings.topic)
            and (settings.difficulty is None or q.difficulty == settings.difficulty)
        ]
        pool.sort()
        random.Random(seed).shuffle(pool)
        return pool[: settings.count]

    # --- lifecycle --------------------------------------------------------------------------
    async def start(
        self,
        bot: Bot,
        chat_id: int,
        chat_type: str,
        trainer_id: int,
        lang: str,
        settings: QuizSettings,
    ) -> QuizSession | None:
        """None when no question matches the settings."""
        seed = int(hashlib.sha1(f"{chat_id}:{utcnow().isoformat()}".encode()).hexdigest()[:8], 16)
        question_ids = self.draw(lang, settings, seed)
        if not question_ids:
            return None
        seconds = min(max(settings.seconds, MIN_SECONDS), MAX_SECONDS)
        session = await asyncio.to_thread(
            self.store.create_session,
            chat_id,
            chat_type,
            trainer_id,
            lang,
            settings.topic,
            settings.difficulty,
            seconds,
            question_ids,
        )
        self._launch(bot, session.id)  # type: ignore[arg-type]
        return session

    def _launch(self, bot: Bot, session_id: int) -> None:
        self._wake[session_id] = asyncio.Event()
        task = asyncio.create_task(self._run(bot, session_id), name=f"quiz-{session_id}")
        self._tasks[session_id] = task
        task.add_done_callback(lambda _t: self._tasks.pop(session_id, None))

    async def resume_all(self, bot: Bot) -> int:
        sessions = await asyncio.to_thread(self.store.open_sessions)
        for session in sessions:
            if session.id not in self._tasks:
                self._launch(bot, session.id)  # type: ignore[arg-type]
        return len(sessions)

    async def shutdown(self) -> None:
        """Stop the runners without touching session state: a restart resumes them."""
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def control(self, session: QuizSession, action: str) -> None:
        """pause (after the current question), resume, skip (close the question now), stop."""
        assert session.id is not None
        if action == "pause":
            await asyncio.to_thread(self.store.set_state, session.id, "paused")
        elif action == "resume":
            await asyncio.to_thread(self.store.set_state, session.id, "running")
        elif action == "stop":
            await asyncio.to_thread(self.store.set_state, session.id, "stopping")
        if action in ("skip", "stop"):
            self._skip[session.id] = session.current
        self._poke(session.id)

    def _poke(self, session_id: int) -> None:
        event = self._wake.get(session_id)
        if event is not None:
            event.set()

    # --- answers ----------------------------------------------------------------------------
    async def answer(self, poll_id: str, user_id: int, name: str, option_ids: list[int]) -> bool:
        """Record a poll answer; False if it is not one of our polls or was already counted."""
        round_ = await asyncio.to_thread(self.store.round_by_poll, poll_id)
        if round_ is None or not option_ids:  # an empty list is a retracted vote
            return False
        session = await asyncio.to_thread(self.store.get_session, round_.session_id)
        if session is None:
            return False
        elapsed = (utcnow() - round_.sent_at).total_seconds()
        seconds = min(max(elapsed, 0.0), float(session.seconds))
        correct = option_ids[0] == round_.correct_option
        assert round_.id is not None
        new = await asyncio.to_thread(
            self.store.record_answer,
            round_.id,
            user_id,
            name,
            option_ids[0],
            correct,
            seconds,
            points_for(correct, seconds, session.seconds),
        )
        if new:
            self._poke(round_.session_id)
        return new

    # --- the runner -------------------------------------------------------------------------
    async def _run(self, bot: Bot, session_id: int) -> None:
        resumed = True
        try:
            while True:
                session = await asyncio.to_thread(self.store.get_session, session_id)
                if session is None or session.state in ("finished", "stopped"):
                    return
                ids: list[str] = json.loads(session.question_ids_json)
                if session.state == "stopping" or session.current >= len(ids):
                    await self._finish(bot, session)
                    return
                if session.state == "paused":
                    await self._wait(session_id, None)
                    continue
                round_ = await asyncio.to_thread(self.store.round_at, session_id, session.current)
                if round_ is None:
                    round_ = await self._ask(bot, session, ids[session.current])
                    resumed = False
                if round_ is None:  # the question could not be sent: skip it
                    await asyncio.to_thread(self.store.advance, session_id, session.current)
                    continue
                if not round_.closed:
                    await self._await_round(session, round_, grace=resumed)
                    await self._close(bot, session, round_)
                await asyncio.to_thread(self.store.advance, session_id, session.current)
                resumed = False
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("quiz session %s failed", session_id)

    async def _ask(self, bot: Bot, session: QuizSession, question_id: str) -> QuizRound | None:
        question = self.questions.get(question_id)
        assert session.id is not None
        if question is None:
            log.warning("quiz %s: question %s is no longer in the bank", session.id, question_id)
            return None
        try:
            message = await bot.send_poll(
                chat_id=session.chat_id,
                question=question.question,
                options=list(question.options),
                type="quiz",
                correct_option_id=question.correct,
                is_anonymous=False,
                open_period=session.seconds,
                explanation=question.explanation[:200],
                reply_markup=self.presenter.poll_markup(question, session.lang),
            )
        except TelegramAPIError:
            log.exception("quiz %s: could not send question %s", session.id, question_id)
            return None
        assert message.poll is not None
        sent = utcnow()
        return await asyncio.to_thread(
            self.store.add_round,
            session.id,
            session.current,
            question_id,
            message.poll.id,
            message.message_id,
            question.correct,
            question.topic,
            sent,
            sent + timedelta(seconds=session.seconds),
        )

    async def _await_round(self, session: QuizSession, round_: QuizRound, grace: bool) -> None:
        """Until time is up, everybody present has answered, or a trainer skips or stops."""
        assert session.id is not None and round_.id is not None
        while True:
            if self._skip.get(session.id) == round_.position:
                del self._skip[session.id]
                return
            remaining = (round_.closes_at - utcnow()).total_seconds()
            if remaining <= 0:
                if grace:
                    await asyncio.sleep(RESUME_GRACE_SECONDS)
                return
            present = await asyncio.to_thread(self.store.participants, session.id, round_.position)
            answered = await asyncio.to_thread(self.store.answered_users, round_.id)
            if session.chat_type == "private":
                present = present | {session.trainer_id}
            if present and present <= answered:
                return
            await self._wait(session.id, remaining)
            current = await asyncio.to_thread(self.store.get_session, session.id)
            if current is not None and current.state == "stopping":
                return

    async def _wait(self, session_id: int, timeout: float | None) -> None:
        event = self._wake.setdefault(session_id, asyncio.Event())
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), timeout)
        event.clear()  # after waking, so a poke that came before the wait is not lost

    async def _close(self, bot: Bot, session: QuizSession, round_: QuizRound) -> None:
        assert round_.id is not None and session.id is not None
        with contextlib.suppress(TelegramAPIError):  # open_period may have closed it already
            await bot.stop_poll(chat_id=session.chat_id, message_id=round_.message_id)
        await asyncio.to_thread(self.store.close_round, round_.id)
        question = self.questions.get(round_.question_id)
        standings = await asyncio.to_thread(self.store.leaderboard, session.id)
        if question is not None:
            with contextlib.suppress(TelegramAPIError):
                await self.presenter.round_result(bot, session, question, standings)

    async def _finish(self, bot: Bot, session: QuizSession) -> None:
        assert session.id is not None
        state = "stopped" if session.state == "stopping" else "finished"
        await asyncio.to_thread(self.store.set_state, session.id, state)
        standings = await asyncio.to_thread(self.store.leaderboard, session.id)
        session.state = state
        with contextlib.suppress(TelegramAPIError):
            await self.presenter.finished(bot, session, standings)
