"""Trainers' quiz sessions: /quiz setup and controls, poll answers, stats and reports."""

from __future__ import annotations

import asyncio
import html
import io
import json
from collections.abc import Iterable

from aiogram import Bot, Router
from aiogram.enums import ChatType
from aiogram.filters import Command, CommandObject
from aiogram.filters.callback_data import CallbackData
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardMarkup,
    Message,
    PollAnswer,
)
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot import charts
from bot.access import AccessControl, Role
from bot.csv_out import csv_writer
from bot.quiz.service import QuizPresenter, QuizService, QuizSettings
from bot.quiz.store import QuizStore, Standing
from bot.render import split_html
from bot.storage.models import QuizSession
from bot.texts import t
from knowledge.models import Lang
from knowledge.quiz.models import QuizQuestion
from knowledge.script import lang_from_code

COUNTS = (5, 10, 15)
SECONDS = (15, 30, 60)
DIFFICULTIES = (0, 1, 2, 3)  # 0: any
LEADERBOARD_SIZE = 10
CONTROL = ("pause", "resume", "skip", "stop")


class QuizSetupCb(CallbackData, prefix="qz"):
    topic: str  # "" = all
    count: int
    seconds: int
    difficulty: int
    board: bool = True  # leaderboard after each question
    go: bool = False


class QuizSourceCb(CallbackData, prefix="qs"):
    question_id: str


def make_router() -> Router:
    router = Router(name="quiz")
    router.message.register(quiz_command, Command("quiz"))
    router.callback_query.register(setup_button, QuizSetupCb.filter())
    router.callback_query.register(source_button, QuizSourceCb.filter())
    router.poll_answer.register(poll_answer)
    return router


def topic_name(topic: str, lang: Lang) -> str:
    try:
        return t(f"topic_{topic}", lang)
    except KeyError:
        return topic


class TelegramQuizPresenter(QuizPresenter):
    def __init__(self, store: QuizStore) -> None:
        self._store = store

    async def round_result(
        self, bot: Bot, session: QuizSession, question: QuizQuestion, standings: list[Standing]
    ) -> None:
        lang = _lang(session.lang)
        answer = html.escape(question.options[question.correct])
        text = t("quiz_round_result", lang, answer=answer)
        if session.show_board:
            text += "\n\n" + _board(standings, lang)
        await bot.send_message(session.chat_id, text)

    async def finished(self, bot: Bot, session: QuizSession, standings: list[Standing]) -> None:
        lang = _lang(session.lang)
        title = t("quiz_stopped" if session.state == "stopped" else "quiz_finished", lang)
        assert session.id is not None
        topics = await asyncio.to_thread(self._store.topic_results, session.id)
        lines = [title, "", _board(standings, lang)]
        if topics:
            lines += ["", f"<b>{t('quiz_by_topic', lang)}</b>"]
            lines += [
                f"{topic_name(r.topic, lang)}: {r.correct}/{r.answered} ({r.accuracy:.0%})"
                for r in topics
            ]
        for part in split_html("\n".join(lines)):
            await bot.send_message(session.chat_id, part)

    def poll_markup(self, question: QuizQuestion, lang: str) -> InlineKeyboardMarkup | None:
        builder = InlineKeyboardBuilder()
        try:
            builder.button(
                text=t("quiz_read_more", _lang(lang)),
                callback_data=QuizSourceCb(question_id=question.id),
            )
        except ValueError:
            return None
        return builder.as_markup()


def _lang(code: str) -> Lang:
    return lang_from_code(code) or Lang.EN


def _board(standings: list[Standing], lang: Lang) -> str:
    if not standings:
        return t("quiz_no_answers", lang)
    medals = ["🥇", "🥈", "🥉"]
    lines = [f"<b>{t('quiz_leaderboard', lang)}</b>"]
    for n, s in enumerate(standings[:LEADERBOARD_SIZE]):
        mark = medals[n] if n < 3 else f"{n + 1}."
        points = t("quiz_points", lang, points=s.points, correct=s.correct, answered=s.answered)
        lines.append(f"{mark} {html.escape(s.name)} · {points}")
    return "\n".join(lines)


def _setup_text(cb: QuizSetupCb, lang: Lang) -> str:
    return t(
        "quiz_setup",
        lang,
        topic=topic_name(cb.topic, lang) if cb.topic else t("quiz_all_topics", lang),
        count=cb.count,
        seconds=cb.seconds,
        difficulty=cb.difficulty or t("quiz_any", lang),
        board=t("quiz_on" if cb.board else "quiz_off", lang),
    )


def _setup_keyboard(cb: QuizSetupCb, topics: list[str], lang: Lang) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()

    def mark(selected: bool, label: str) -> str:
        return f"✓ {label}" if selected else label

    def choice(**changes: object) -> QuizSetupCb:
        return cb.model_copy(update={**changes, "go": False})

    for topic in ["", *topics]:
        label = topic_name(topic, lang) if topic else t("quiz_all_topics", lang)
        builder.button(text=mark(cb.topic == topic, label), callback_data=choice(topic=topic))
    for count in COUNTS:
        builder.button(
            text=mark(cb.count == count, f"{count} Q"), callback_data=choice(count=count)
        )
    for seconds in SECONDS:
        builder.button(
            text=mark(cb.seconds == seconds, f"{seconds}s"), callback_data=choice(seconds=seconds)
        )
    for difficulty in DIFFICULTIES:
        builder.button(
            text=mark(cb.difficulty == difficulty, "★" * difficulty or t("quiz_any", lang)),
            callback_data=choice(difficulty=difficulty),
        )
    state = t("quiz_on" if cb.board else "quiz_off", lang)
    builder.button(
        text=t("quiz_board_button", lang, state=state), callback_data=choice(board=not cb.board)
    )
    builder.button(
        text=t("quiz_start_button", lang),
        callback_data=cb.model_copy(update={"go": True}),
    )
    sizes = [2] * ((len(topics) + 2) // 2) + [len(COUNTS), len(SECONDS), len(DIFFICULTIES), 1, 1]
    builder.adjust(*sizes)
    return builder.as_markup()


async def _may_host(user_id: int | None, chat_type: str, access: AccessControl) -> bool:
    """Trainers (and admins) host in groups; anyone may practise alone in private."""
    if chat_type == ChatType.PRIVATE:
        return True
    if user_id is None:
        return False
    role = await asyncio.to_thread(access.role, user_id)
    return role in (Role.ADMIN, Role.TRAINER)


def _quiz_lang(lang: Lang) -> str:
    return {Lang.EN: "en", Lang.ZH_HANT: "zh-Hant", Lang.ZH_HANS: "zh-Hans"}[lang]


async def quiz_command(
    message: Message,
    command: CommandObject,
    bot: Bot,
    lang: Lang,
    access: AccessControl,
    quiz: QuizService,
) -> None:
    action = (command.args or "").strip().lower()
    user_id = message.from_user.id if message.from_user else None
    # "/quiz start" is English whatever the trainer reads: their client language decides.
    code = message.from_user.language_code if message.from_user else None
    lang = lang_from_code(code) or lang
    if action == "stats":
        await _stats(message, lang, quiz)
        return
    if not await _may_host(user_id, message.chat.type, access):
        await message.reply(t("quiz_not_trainer", lang))
        return
    if action == "report":
        await _report(message, lang, quiz)
        return
    if action in CONTROL:
        await _control(message, action, lang, access, quiz)
        return
    if action not in ("", "start"):
        await message.reply(t("quiz_usage", lang))
        return
    active = await asyncio.to_thread(quiz.store.active_session, message.chat.id)
    if active is not None:
        await message.reply(t("quiz_already_running", lang))
        return
    defaults = QuizSetupCb(topic="", count=10, seconds=30, difficulty=0)
    if action == "":
        topics = quiz.topics(_quiz_lang(lang))
        await message.answer(
            _setup_text(defaults, lang), reply_markup=_setup_keyboard(defaults, topics, lang)
        )
        return
    assert user_id is not None
    await _start(bot, message.chat.id, message.chat.type, user_id, lang, defaults, quiz, message)


async def _start(
    bot: Bot,
    chat_id: int,
    chat_type: str,
    user_id: int,
    lang: Lang,
    cb: QuizSetupCb,
    quiz: QuizService,
    reply_to: Message,
) -> None:
    settings = QuizSettings(
        topic=cb.topic or None,
        count=cb.count,
        seconds=cb.seconds,
        difficulty=cb.difficulty or None,
        show_board=cb.board,
    )
    session = await quiz.start(bot, chat_id, chat_type, user_id, _quiz_lang(lang), settings)
    if session is None:
        await reply_to.answer(t("quiz_no_questions", lang))
        return
    count = len(json.loads(session.question_ids_json))
    await reply_to.answer(t("quiz_started", lang, count=count, seconds=session.seconds))


async def setup_button(
    query: CallbackQuery,
    callback_data: QuizSetupCb,
    bot: Bot,
    lang: Lang,
    access: AccessControl,
    quiz: QuizService,
) -> None:
    message = query.message if isinstance(query.message, Message) else None
    if message is None:
        await query.answer()
        return
    if not await _may_host(query.from_user.id, message.chat.type, access):
        await query.answer(t("quiz_not_trainer", lang), show_alert=True)
        return
    await query.answer()
    if not callback_data.go:
        topics = quiz.topics(_quiz_lang(lang))
        await message.edit_text(
            _setup_text(callback_data, lang),
            reply_markup=_setup_keyboard(callback_data, topics, lang),
        )
        return
    active = await asyncio.to_thread(quiz.store.active_session, message.chat.id)
    if active is not None:
        await message.answer(t("quiz_already_running", lang))
        return
    await message.edit_reply_markup(reply_markup=None)
    await _start(
        bot,
        message.chat.id,
        message.chat.type,
        query.from_user.id,
        lang,
        callback_data,
        quiz,
        message,
    )


async def _control(
    message: Message, action: str, lang: Lang, access: AccessControl, quiz: QuizService
) -> None:
    session = await asyncio.to_thread(quiz.store.active_session, message.chat.id)
    if session is None:
        await message.reply(t("quiz_none", lang))
        return
    user_id = message.from_user.id if message.from_user else 0
    role = await asyncio.to_thread(access.role, user_id)
    if user_id != session.trainer_id and role is not Role.ADMIN:
        await message.reply(t("quiz_only_host", lang))
        return
    key = {"pause": "quiz_paused", "resume": "quiz_resumed", "skip": "quiz_skipped"}
    await message.reply(t(key.get(action, "quiz_stopping"), lang))
    await quiz.control(session, action)


async def poll_answer(poll_answer: PollAnswer, quiz: QuizService) -> None:
    user = poll_answer.user
    if user is None:
        return
    name = user.full_name or (f"@{user.username}" if user.username else str(user.id))
    await quiz.answer(poll_answer.poll_id, user.id, name, list(poll_answer.option_ids))


async def source_button(
    query: CallbackQuery, callback_data: QuizSourceCb, lang: Lang, quiz: QuizService
) -> None:
    question = quiz.questions.get(callback_data.question_id)
    await query.answer()
    if question is None or not isinstance(query.message, Message):
        return
    source = question.source
    heading = f"{t('quiz_source', lang)}: {html.escape(source.section)}"
    text = f"<b>{heading}</b>\n\n{html.escape(source.text)}"
    for part in split_html(text):
        await query.message.answer(part)


async def _stats(message: Message, lang: Lang, quiz: QuizService) -> None:
    if message.from_user is None:
        return
    user_id = message.from_user.id
    sessions = await asyncio.to_thread(quiz.store.user_sessions, user_id)
    topics = await asyncio.to_thread(quiz.store.user_topics, user_id)
    if not sessions:
        await message.reply(t("quiz_stats_none", lang))
        return
    lines = [
        f"{topic_name(r.topic, lang)}: {r.correct}/{r.answered} ({r.accuracy:.0%})" for r in topics
    ]
    weak = [topic_name(r.topic, lang) for r in topics if r.answered >= 2 and r.accuracy < 0.6]
    if weak:
        lines.append("\n" + t("quiz_weak", lang, topics=", ".join(weak)))
    await message.reply(t("quiz_stats", lang, sessions=sessions, topics="\n".join(lines)))


def report_csv(rows: Iterable[tuple[int, str, str, str, int, bool, float, int]]) -> bytes:
    """Every answer of a session, one row each, for the trainer's spreadsheet."""
    out = io.StringIO()
    writer = csv_writer(out)
    writer.writerow(
        ["question", "question_id", "user", "user_id", "option", "correct", "seconds", "points"]
    )
    for position, question_id, name, user, option, correct, seconds, points in rows:
        writer.writerow(
            [position + 1, question_id, name, user, option + 1, int(correct), f"{seconds:.1f}",
             points]
        )  # fmt: skip
    return out.getvalue().encode("utf-8-sig")


async def _report(message: Message, lang: Lang, quiz: QuizService) -> None:
    session = await asyncio.to_thread(quiz.store.latest_session, message.chat.id)
    if session is None or session.id is None:
        await message.reply(t("quiz_report_none", lang))
        return
    standings = await asyncio.to_thread(quiz.store.leaderboard, session.id)
    topics = await asyncio.to_thread(quiz.store.topic_results, session.id)
    rows = await asyncio.to_thread(quiz.store.session_rows, session.id)
    state = t(f"quiz_state_{session.state}", lang)
    title = t("quiz_report_title", lang, session=session.id, state=state)
    await message.answer(f"{title}\n\n{_board(standings, lang)}")
    await message.answer_document(
        BufferedInputFile(report_csv(rows), filename=f"quiz-{session.id}.csv")
    )
    if topics:
        names = {r.topic: topic_name(r.topic, lang) for r in topics}
        png = await asyncio.to_thread(
            charts.topic_chart,
            [(names[r.topic], r.accuracy) for r in topics],
            t("quiz_by_topic", lang),
        )
        await message.answer_photo(BufferedInputFile(png, filename=f"quiz-{session.id}.png"))
