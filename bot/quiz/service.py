"""Quiz sessions: draw questions, run one native quiz poll at a time, score, keep results.

Everything a session needs to continue lives in the database (session, rounds with
their poll ids and closing times, answers unique per round and user), so after a
restart `resume_all` picks every open session up where it was. Answers are recorded
whenever Telegram delivers them: Telegram only accepts votes while a poll is open,
so a vote that arrives late (say, while the bot was down) still counts, once.

Several processes can serve one bot. Each session is run by one process at a time,
the one holding its lease (`quiz_session.owner`, renewed every few seconds); answers
and trainer commands may reach any process and go through the database, which the
owner reads every `sync_seconds` (set only when several processes share the work: one
process alone sees every answer and command in memory). When a process dies, another
adopts its sessions once the lease runs out.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

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
IN_FLIGHT_WAIT = 10.0
MAX_REMEMBERED_POLLS = 10_000
# A vote can reach another process before the owner has recorded its poll: look again.
UNKNOWN_POLL_RETRIES = (0.05, 0.1, 0.25, 0.5, 1.0)


def points_for(correct: bool, seconds: float, limit: float) -> int:
    if not correct:
        return 0
    fraction = max(0.0, 1.0 - seconds / limit) if limit > 0 else 0.0
    return BASE_POINTS + round(SPEED_POINTS * fraction)


class AnswerWriter:
    """Group-commit for answers: answers arriving within a few milliseconds share one
    transaction. Each caller still waits for its own commit, so an answer that was
    acknowledged is on disk."""

    def __init__(self, store: QuizStore, window: float = 0.004) -> None:
        self._store = store
        self._window = window
        self._pending: list[tuple[dict[str, object], asyncio.Future[bool]]] = []
        self._flusher: asyncio.Task[None] | None = None

    async def add(self, row: dict[str, object]) -> bool:
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._pending.append((row, future))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush())
        return await future

    async def _flush(self) -> None:
        while self._pending:
            await asyncio.sleep(self._window)
            batch, self._pending = self._pending, []
            try:
                results = await asyncio.to_thread(self._store.record_answers, [r for r, _ in batch])
            except Exception as exc:  # every waiter learns about it
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for (_, future), new in zip(batch, results, strict=True):
                if not future.done():
                    future.set_result(new)


@dataclass(frozen=True, slots=True)
class _PollTarget:
    round_id: int
    session_id: int
    sent_at: datetime
    correct_option: int
    limit: int


@dataclass(frozen=True, slots=True)
class QuizSettings:
    topic: str | None = None
    count: int = 10
    seconds: int = 30
    difficulty: int | None = None
    show_board: bool = True


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
    def __init__(
        self,
        store: QuizStore,
        questions: list[QuizQuestion],
        *,
        instance: str = "local",
        lease_seconds: float = 15.0,
        sync_seconds: float | None = None,
    ) -> None:
        self.store = store
        self.instance = instance
        self._lease = lease_seconds
        self._renewal_failing = False
        self._sync = sync_seconds
        self._adopter: asyncio.Task[None] | None = None
        self.questions = {q.id: q for q in questions}
        self.presenter: QuizPresenter = QuizPresenter()
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._wake: dict[int, asyncio.Event] = {}
        self._skip: dict[int, int] = {}  # session id -> position of the question to skip
        # A vote can arrive between Telegram accepting a poll and our saving its round:
        # answers for unknown polls wait until no poll is in flight, then look again.
        self._in_flight = 0
        # A poll sent just before a crash and never recorded ("orphan"): its session asks the
        # question again after the restart, and votes on the orphan count for the new round.
        self._resends: set[int] = set()  # sessions that will re-send an unrecorded poll
        self._orphans: dict[int, _PollTarget] = {}  # session id -> the round that replaced it
        self._targets: dict[str, _PollTarget] = {}
        self._answered: dict[int, set[int]] = {}  # round id -> users who answered (live rounds)
        self._stopping: dict[int, bool] = {}
        self._writer = AnswerWriter(store)
        self._recorded = asyncio.Condition()

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
            settings.show_board,
            self.instance,
            self._lease,
        )
        self._launch(bot, session.id)  # type: ignore[arg-type]
        return session

    @property
    def running(self) -> int:
        return len(self._tasks)

    def _launch(self, bot: Bot, session_id: int) -> None:
        self._wake[session_id] = asyncio.Event()
        task = asyncio.create_task(self._run(bot, session_id), name=f"quiz-{session_id}")
        self._tasks[session_id] = task
        task.add_done_callback(lambda _t: self._tasks.pop(session_id, None))

    async def resume_all(self, bot: Bot) -> int:
        """Run every open session that is ours or nobody's; then keep our leases fresh and
        adopt the sessions of processes that died."""
        adopted = await self._adopt(bot)
        if self._adopter is None or self._adopter.done():
            self._adopter = asyncio.create_task(self._keep_leases(bot), name="quiz-leases")
        return adopted

    async def _adopt(self, bot: Bot) -> int:
        mine = set(await asyncio.to_thread(self.store.claim_sessions, self.instance, self._lease))
        for session_id, task in list(self._tasks.items()):
            if session_id in mine or task.done():
                continue
            row = await asyncio.to_thread(self.store.get_session, session_id)
            if row is not None and row.owner not in (None, self.instance):
                log.warning("quiz %s: lease lost, %s runs it now", session_id, row.owner)
                task.cancel()
        new = mine - self._tasks.keys()
        if not new:
            return 0
        sessions = await asyncio.to_thread(self.store.open_sessions)
        for session in sessions:
            if session.id in new and session.sending == session.current:
                self._resends.add(session.id)
        for session_id in sorted(new):
            self._launch(bot, session_id)
        return len(new)

    async def _keep_leases(self, bot: Bot) -> None:
        while True:
            await asyncio.sleep(self._lease / 3)
            try:
                adopted = await self._adopt(bot)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # database down: try again next time; runners go on
                if not self._renewal_failing:  # once per outage, not every few seconds
                    log.warning("quiz: cannot renew leases (%s); retrying", type(error).__name__)
                self._renewal_failing = True
                continue
            if self._renewal_failing:
                log.warning("quiz: leases renewed again")
                self._renewal_failing = False
            if adopted:
                log.info("quiz: adopted %d session(s) from a stopped process", adopted)

    async def shutdown(self) -> None:
        """Stop the runners without touching session state, and hand the sessions over:
        another process (or this one, restarted) resumes them."""
        if self._adopter is not None:
            self._adopter.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._adopter
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        try:
            await asyncio.to_thread(self.store.release_sessions, self.instance)
        except Exception:
            log.warning("quiz: could not release leases; they expire by themselves")

    async def control(self, session: QuizSession, action: str) -> None:
        """pause (after the current question), resume, skip (close the question now), stop."""
        assert session.id is not None
        if action == "pause":
            await asyncio.to_thread(self.store.set_state, session.id, "paused")
        elif action == "resume":
            await asyncio.to_thread(self.store.set_state, session.id, "running")
        elif action == "stop":
            await asyncio.to_thread(self.store.set_state, session.id, "stopping")
            self._stopping[session.id] = True
        if action in ("skip", "stop"):
            self._skip[session.id] = session.current
            await asyncio.to_thread(self.store.set_skip, session.id, session.current)
        self._poke(session.id)

    def _poke(self, session_id: int) -> None:
        event = self._wake.get(session_id)
        if event is not None:
            event.set()

    # --- answers ----------------------------------------------------------------------------
    async def answer(self, poll_id: str, user_id: int, name: str, option_ids: list[int]) -> bool:
        """Record a poll answer; False if it is not one of our polls or was already counted."""
        if not option_ids:  # an empty list is a retracted vote
            return False
        target = await self._poll_target(poll_id)
        if target is None:
            return False
        elapsed = (utcnow() - target.sent_at).total_seconds()
        seconds = min(max(elapsed, 0.0), float(target.limit))
        correct = option_ids[0] == target.correct_option
        new = await self._writer.add(
            {
                "round_id": target.round_id,
                "user_id": user_id,
                "user_name": name[:64],
                "option": option_ids[0],
                "correct": correct,
                "seconds": seconds,
                "points": points_for(correct, seconds, target.limit),
            }
        )
        if new:
            live = self._answered.get(target.round_id)
            if live is not None:
                live.add(user_id)
            self._poke(target.session_id)
        return new

    async def _poll_target(self, poll_id: str) -> _PollTarget | None:
        """Which round a poll belongs to: from memory for the polls this process sent (one
        dictionary lookup per answer), else from the database (after a restart)."""
        target = self._targets.get(poll_id)
        if target is not None:
            return target
        round_ = await asyncio.to_thread(self.store.round_by_poll, poll_id)
        if round_ is None:
            # Not on record yet: the runner may still be between Telegram's reply and the
            # database (it remembers the poll before it stops counting as in flight).
            async with self._recorded:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(
                        self._recorded.wait_for(
                            lambda: (
                                poll_id in self._targets
                                or (self._in_flight == 0 and not self._resends)
                            )
                        ),
                        IN_FLIGHT_WAIT,
                    )
            if poll_id in self._targets:
                return self._targets[poll_id]
            round_ = await asyncio.to_thread(self.store.round_by_poll, poll_id)
            # With several processes, the poll's owner may be another one, still recording.
            retries = UNKNOWN_POLL_RETRIES if self._sync is not None else ()
            for delay in retries:
                if round_ is not None or self._orphans:
                    break
                await asyncio.sleep(delay)
                round_ = await asyncio.to_thread(self.store.round_by_poll, poll_id)
        if round_ is None:
            return self._claim_orphan(poll_id)
        session = await asyncio.to_thread(self.store.get_session, round_.session_id)
        if session is None:
            return None
        return self._remember(poll_id, round_, session.seconds)

    def _claim_orphan(self, poll_id: str) -> _PollTarget | None:
        """An unknown poll is the one lost in a crash only if exactly one question was asked
        again after a crash; with several, it cannot be told which, and guessing would score
        against the wrong answer."""
        if len(self._orphans) != 1:
            if self._orphans:
                log.warning(
                    "quiz: a vote on unknown poll %s matches several re-asked questions", poll_id
                )
            return None
        target = next(iter(self._orphans.values()))
        self._targets[poll_id] = target
        log.info(
            "quiz: poll %s, sent before a crash, counts for round %s", poll_id, target.round_id
        )
        return target

    def _remember(self, poll_id: str, round_: QuizRound, limit: int) -> _PollTarget:
        assert round_.id is not None
        target = _PollTarget(
            round_.id, round_.session_id, round_.sent_at, round_.correct_option, limit
        )
        self._targets[poll_id] = target
        while len(self._targets) > MAX_REMEMBERED_POLLS:
            self._targets.pop(next(iter(self._targets)))
        return target

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
                    await self._resent(session_id)  # not now: unknown votes need not wait
                    await self._wait(session_id, self._sync)
                    continue
                round_ = await asyncio.to_thread(self.store.round_at, session_id, session.current)
                if round_ is None:
                    orphaned = session.sending == session.current  # sent, then a crash
                    round_ = await self._ask(bot, session, ids[session.current])
                    resumed = False
                    if round_ is not None and orphaned:
                        self._orphans[session_id] = self._targets[round_.poll_id]
                    await self._resent(session_id)
                if round_ is None:  # the question could not be sent: skip it
                    await asyncio.to_thread(self.store.advance, session_id, session.current)
                    continue
                if not round_.closed:
                    await self._await_round(session, round_, grace=resumed)
                    await self._close(bot, session, round_)
                self._orphans.pop(session_id, None)
                await self._resent(session_id)
                await asyncio.to_thread(self.store.advance, session_id, session.current)
                resumed = False
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("quiz session %s failed", session_id)
        finally:
            self._orphans.pop(session_id, None)
            self._resends.discard(session_id)

    async def _resent(self, session_id: int) -> None:
        if session_id in self._resends:
            async with self._recorded:
                self._resends.discard(session_id)
                self._recorded.notify_all()

    async def _ask(self, bot: Bot, session: QuizSession, question_id: str) -> QuizRound | None:
        question = self.questions.get(question_id)
        assert session.id is not None
        if question is None:
            log.warning("quiz %s: question %s is no longer in the bank", session.id, question_id)
            return None
        self._in_flight += 1
        try:
            return await self._send_and_record(bot, session, question)
        finally:
            async with self._recorded:
                self._in_flight -= 1
                self._recorded.notify_all()

    async def _send_and_record(
        self, bot: Bot, session: QuizSession, question: QuizQuestion
    ) -> QuizRound | None:
        assert session.id is not None
        await asyncio.to_thread(self.store.mark_sending, session.id, session.current)
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
            log.exception("quiz %s: could not send question %s", session.id, question.id)
            await asyncio.to_thread(self.store.mark_sending, session.id, None)
            return None
        assert message.poll is not None
        sent = utcnow()
        round_ = await asyncio.to_thread(
            self.store.add_round,
            session.id,
            session.current,
            question.id,
            message.poll.id,
            message.message_id,
            question.correct,
            question.topic,
            sent,
            sent + timedelta(seconds=session.seconds),
        )
        self._remember(message.poll.id, round_, session.seconds)
        return round_

    async def _await_round(self, session: QuizSession, round_: QuizRound, grace: bool) -> None:
        """Until time is up, everybody present has answered, or a trainer skips or stops.

        Answers recorded by this process are counted in memory as they arrive, so a busy
        quiz costs no query per answer; every `sync_seconds` the database adds answers,
        skips and stops that reached other processes.
        """
        assert session.id is not None and round_.id is not None
        present = await asyncio.to_thread(self.store.participants, session.id, round_.position)
        if session.chat_type == "private":
            present = present | {session.trainer_id}
        answered = self._answered.setdefault(round_.id, set())
        answered |= await asyncio.to_thread(self.store.answered_users, round_.id)
        loop = asyncio.get_running_loop()
        synced = loop.time()
        try:
            while True:
                if self._skip.get(session.id) == round_.position:
                    del self._skip[session.id]
                    return
                if self._sync is not None and loop.time() - synced >= self._sync:
                    synced = loop.time()
                    current = await asyncio.to_thread(self.store.get_session, session.id)
                    if current is None or current.state == "stopping":
                        return
                    if current.skip == round_.position:
                        return
                    answered |= await asyncio.to_thread(self.store.answered_users, round_.id)
                remaining = (round_.closes_at - utcnow()).total_seconds()
                if remaining <= 0:
                    if grace:
                        await asyncio.sleep(RESUME_GRACE_SECONDS)
                    return
                if present and present <= answered:
                    return
                await self._wait(session.id, min(remaining, self._sync or remaining))
                if self._stopping.get(session.id):
                    return
        finally:
            self._answered.pop(round_.id, None)

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
        self._stopping.pop(session.id, None)
        await asyncio.to_thread(self.store.set_state, session.id, state)
        standings = await asyncio.to_thread(self.store.leaderboard, session.id)
        session.state = state
        with contextlib.suppress(TelegramAPIError):
            await self.presenter.finished(bot, session, standings)
