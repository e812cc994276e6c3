"""Quiz sessions through the real dispatcher: polls, answers, scoring, leaderboard, restart."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from aiogram import Bot
from aiogram.types import (
    CallbackQuery,
    Chat,
    Message,
    MessageEntity,
    PollAnswer,
    Update,
    User,
)

from bot.factory import Services, build_dispatcher
from bot.quiz.service import QuizService, points_for
from bot.routers.quiz import QuizSetupCb, TelegramQuizPresenter
from bot.runners.terminal import BOT_USER, TerminalSession

_ids = itertools.count(50_000)
TRAINER = User(id=701, is_bot=False, first_name="Tina", language_code="zh-hant")
ANN = User(id=702, is_bot=False, first_name="Ann", language_code="zh-hant")
BEN = User(id=703, is_bot=False, first_name="Ben", language_code="zh-hant")
STAFF = User(id=704, is_bot=False, first_name="Sue", language_code="en")


@pytest.fixture()
def quiz_services(services: Services) -> Services:
    services.value.store.set_role(TRAINER.id, "trainer")
    return services


async def _group(services: Services) -> Chat:
    """A new group, allowed by an admin (the bot stays silent in other groups)."""
    chat = Chat(id=-(900_000 + next(_ids)), type="supergroup", title="Training")
    await services.access.allow_group(chat.id, chat.title, by=1)
    return chat


def _command(text: str, user: User, chat: Chat) -> Update:
    message = Message(
        message_id=next(_ids), date=datetime.now(UTC), chat=chat, from_user=user, text=text,
        entities=[MessageEntity(type="bot_command", offset=0, length=len(text.split()[0]))],
    )  # fmt: skip
    return Update(update_id=next(_ids), message=message)


def _press(data: str, user: User, chat: Chat) -> Update:
    origin = Message(
        message_id=next(_ids), date=datetime.now(UTC), chat=chat,
        from_user=User(**BOT_USER), text="setup",  # type: ignore[arg-type]
    )  # fmt: skip
    query = CallbackQuery(
        id=str(next(_ids)), from_user=user, chat_instance="q", message=origin, data=data
    )
    return Update(update_id=next(_ids), callback_query=query)


def _vote(poll_id: str, user: User, option: int) -> Update:
    answer = PollAnswer(
        poll_id=poll_id, user=user, option_ids=[option], option_persistent_ids=[str(option)]
    )
    return Update(update_id=next(_ids), poll_answer=answer)


def _polls(session: TerminalSession) -> list[dict]:  # type: ignore[type-arg]
    return [p for name, p in session.calls if name == "sendPoll"]


def _texts(session: TerminalSession) -> list[str]:
    return [p["text"] for name, p in session.calls if name == "sendMessage"]


async def _until(check: Callable[[], object], timeout: float = 20.0) -> object:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = check()
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError("the quiz did not get there in time")
        await asyncio.sleep(0.02)


def _poll_id(session: TerminalSession, n: int) -> tuple[str, int]:
    """The n-th poll's id and correct option, as the bot sent it."""
    poll = list(session.polls.values())[n]
    return str(poll["id"]), int(poll["correct_option_id"])


async def test_group_quiz_scores_two_players_and_keeps_results(
    quiz_services: Services, recorded: tuple[Bot, TerminalSession]
) -> None:
    bot, session = recorded
    dp = build_dispatcher(quiz_services)
    quiz = quiz_services.quiz
    group = await _group(quiz_services)

    await dp.feed_update(bot, _command("/quiz start", STAFF, group))
    assert "Only trainers" in _texts(session)[-1]

    setup = QuizSetupCb(topic="", count=5, seconds=15, difficulty=0, go=True).pack()
    await dp.feed_update(bot, _press(setup, TRAINER, group))
    await _until(lambda: len(_polls(session)) == 1)
    first = _polls(session)[0]
    assert first["type"] == "quiz" and first["is_anonymous"] is False
    assert first["open_period"] == 15 and len(first["explanation"]) <= 200

    for n in range(5):
        await _until(lambda n=n: len(_polls(session)) == n + 1)
        poll_id, correct = _poll_id(session, n)
        await dp.feed_update(bot, _vote(poll_id, ANN, correct))
        await dp.feed_update(bot, _vote(poll_id, ANN, (correct + 1) % 4))  # a retry: ignored
        await dp.feed_update(bot, _vote(poll_id, BEN, (correct + 1) % 4))
        if n == 0:  # nobody is "present" yet on the first question: the trainer moves on
            await dp.feed_update(bot, _command("/quiz skip", TRAINER, group))

    final = await _until(lambda: next((t for t in _texts(session) if "測驗結束" in t), None))
    assert isinstance(final, str)
    ann_line, ben_line = (line for line in final.splitlines() if "Ann" in line or "Ben" in line)
    assert ann_line.startswith("🥇 Ann") and "答對 5/5" in ann_line
    assert ben_line.startswith("🥈 Ben") and "0 分" in ben_line and "答對 0/5" in ben_line

    stored = quiz.store.latest_session(group.id)
    assert stored is not None and stored.state == "finished"
    board = quiz.store.leaderboard(stored.id)  # type: ignore[arg-type]
    assert [(s.user_id, s.correct, s.answered) for s in board] == [(ANN.id, 5, 5), (BEN.id, 0, 5)]
    assert board[0].points >= 5 * 100 and board[1].points == 0
    stops = [p for name, p in session.calls if name == "stopPoll"]
    assert len(stops) == 5


async def test_a_quiz_survives_a_restart_without_losing_or_doubling_answers(
    quiz_services: Services, recorded: tuple[Bot, TerminalSession]
) -> None:
    bot, session = recorded
    group = await _group(quiz_services)
    dp = build_dispatcher(quiz_services)
    setup = QuizSetupCb(topic="", count=3, seconds=15, difficulty=0, go=True).pack()
    await dp.feed_update(bot, _press(setup, TRAINER, group))
    await _until(lambda: len(_polls(session)) == 1)
    poll_id, correct = _poll_id(session, 0)
    await dp.feed_update(bot, _vote(poll_id, ANN, correct))
    await dp.feed_update(bot, _command("/quiz skip", TRAINER, group))
    await _until(lambda: len(_polls(session)) == 2)
    second_id, second_correct = _poll_id(session, 1)

    # The bot goes down mid-question: its runner dies, the database keeps everything.
    await quiz_services.quiz.shutdown()
    old = quiz_services.quiz
    reborn = QuizService(old.store, list(old.questions.values()))
    reborn.presenter = TelegramQuizPresenter(old.store)
    quiz_services.quiz = reborn
    try:
        dp2 = build_dispatcher(quiz_services)
        # An answer Telegram held for us while we were down arrives after the restart.
        await dp2.feed_update(bot, _vote(second_id, ANN, second_correct))
        await dp2.feed_update(bot, _vote(second_id, ANN, second_correct))
        assert await reborn.resume_all(bot) == 1
        await dp2.feed_update(bot, _command("/quiz skip", TRAINER, group))
        await _until(lambda: len(_polls(session)) == 3)
        third_id, third_correct = _poll_id(session, 2)
        await dp2.feed_update(bot, _vote(third_id, ANN, third_correct))
        stored = await _until(
            lambda: (s := reborn.store.latest_session(group.id)) and s.state == "finished" and s
        )
        board = reborn.store.leaderboard(stored.id)  # type: ignore[attr-defined]
        assert [(s.user_id, s.correct, s.answered) for s in board] == [(ANN.id, 3, 3)]
        assert len(json.loads(stored.question_ids_json)) == 3  # type: ignore[attr-defined]
    finally:
        await reborn.shutdown()
        quiz_services.quiz = old


async def test_a_poll_sent_just_before_a_crash_still_counts(
    quiz_services: Services, recorded: tuple[Bot, TerminalSession]
) -> None:
    """The bot dies after Telegram accepted a poll but before the round was saved: the
    restart asks the question again, and votes on the lost poll count for the new round."""
    bot, session = recorded
    group = await _group(quiz_services)
    store = quiz_services.quiz.store
    original = store.add_round

    def crash(*args: object, **kwargs: object) -> object:
        store.add_round = original  # type: ignore[method-assign]
        raise RuntimeError("the process died here")

    store.add_round = crash  # type: ignore[method-assign]
    dp = build_dispatcher(quiz_services)
    setup = QuizSetupCb(topic="", count=1, seconds=15, difficulty=0, go=True).pack()
    await dp.feed_update(bot, _press(setup, TRAINER, group))
    await _until(lambda: len(_polls(session)) == 1)
    lost_id, correct = _poll_id(session, 0)
    pending = await _until(lambda: (s := store.latest_session(group.id)) and s.sending == 0 and s)
    assert store.round_at(pending.id, 0) is None  # type: ignore[attr-defined]

    await quiz_services.quiz.shutdown()
    old = quiz_services.quiz
    reborn = QuizService(old.store, list(old.questions.values()))
    reborn.presenter = TelegramQuizPresenter(old.store)
    quiz_services.quiz = reborn
    try:
        dp2 = build_dispatcher(quiz_services)
        assert await reborn.resume_all(bot) == 1
        # Ann's vote on the lost poll was waiting at Telegram; it arrives as the bot resends.
        await dp2.feed_update(bot, _vote(lost_id, ANN, correct))
        await _until(lambda: len(_polls(session)) == 2)
        new_id, new_correct = _poll_id(session, 1)
        assert new_id != lost_id and new_correct == correct
        await dp2.feed_update(bot, _vote(new_id, ANN, (correct + 1) % 4))  # a second try
        await dp2.feed_update(bot, _vote(new_id, BEN, (correct + 1) % 4))
        await dp2.feed_update(bot, _command("/quiz skip", TRAINER, group))
        stored = await _until(
            lambda: (s := store.latest_session(group.id)) and s.state == "finished" and s
        )
        board = store.leaderboard(stored.id)  # type: ignore[attr-defined]
        assert [(s.user_id, s.correct, s.answered) for s in board] == [
            (ANN.id, 1, 1),
            (BEN.id, 0, 1),
        ]
        assert stored.sending is None  # type: ignore[attr-defined]
    finally:
        await reborn.shutdown()
        quiz_services.quiz = old
        store.add_round = original  # type: ignore[method-assign]


async def test_self_study_in_private_moves_on_when_the_user_answers(
    quiz_services: Services, recorded: tuple[Bot, TerminalSession]
) -> None:
    bot, session = recorded
    dp = build_dispatcher(quiz_services)
    me = STAFF
    chat = Chat(id=me.id, type="private")
    await dp.feed_update(bot, _command("/quiz start", me, chat))
    stored = quiz_services.quiz.store.latest_session(chat.id)
    assert stored is not None and stored.lang == "en"
    count = len(json.loads(stored.question_ids_json))
    assert count == min(10, sum(q.lang == "en" for q in quiz_services.quiz.questions.values()))
    for n in range(count):
        await _until(lambda n=n: len(_polls(session)) == n + 1, timeout=5)
        poll_id, correct = _poll_id(session, n)
        await dp.feed_update(bot, _vote(poll_id, me, correct if n % 2 else (correct + 1) % 4))
    finished = await _until(
        lambda: next((t for t in _texts(session) if "Quiz finished" in t), None)
    )
    assert f"{count // 2}/{count} correct" in str(finished)
    await dp.feed_update(bot, _command("/quiz stats", me, chat))
    assert "Your quiz history" in _texts(session)[-1]


def test_points_reward_speed_only_for_correct_answers() -> None:
    assert points_for(True, 0.0, 30) == 150
    assert points_for(True, 30.0, 30) == 100
    assert points_for(True, 15.0, 30) == 125
    assert points_for(False, 1.0, 30) == 0


async def test_leaderboard_after_each_question_can_be_turned_off(
    quiz_services: Services, recorded: tuple[Bot, TerminalSession]
) -> None:
    bot, session = recorded
    dp = build_dispatcher(quiz_services)
    me = User(id=705, is_bot=False, first_name="Kim", language_code="en")
    chat = Chat(id=me.id, type="private")
    setup = QuizSetupCb(topic="", count=2, seconds=15, difficulty=0, board=False, go=True)
    await dp.feed_update(bot, _press(setup.pack(), me, chat))
    for n in range(2):
        await _until(lambda n=n: len(_polls(session)) == n + 1, timeout=5)
        poll_id, correct = _poll_id(session, n)
        await dp.feed_update(bot, _vote(poll_id, me, correct))
    await _until(lambda: any("Quiz finished" in t for t in _texts(session)), timeout=5)
    per_question = [t for t in _texts(session) if t.startswith("✅")]
    assert len(per_question) == 2 and all("Leaderboard" not in t for t in per_question)
    assert "Leaderboard" in next(t for t in _texts(session) if "Quiz finished" in t)


def test_start_button_keeps_every_setup_choice() -> None:
    from bot.routers.quiz import _setup_keyboard
    from knowledge.models import Lang

    chosen = QuizSetupCb(topic="kano", count=5, seconds=60, difficulty=2, board=False)
    markup = _setup_keyboard(chosen, ["kano", "clv"], Lang.EN)
    buttons = [b for row in markup.inline_keyboard for b in row]
    start = QuizSetupCb.unpack(buttons[-1].callback_data or "")
    assert start == chosen.model_copy(update={"go": True})
    toggle = QuizSetupCb.unpack(buttons[-2].callback_data or "")
    assert toggle.board is True and toggle.count == 5 and not toggle.go
