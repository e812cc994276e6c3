"""Updates fed through the real dispatcher, routers and services (bomzheg-style)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

from aiogram import Bot, Dispatcher
from aiogram.types import CallbackQuery, Chat, Message, MessageEntity, Update, User

from bot.factory import Services
from bot.runners.terminal import BOT_USER, TerminalSession

_ids = itertools.count(1)
ALICE = User(id=501, is_bot=False, first_name="Alice", language_code="zh-hant")
GROUP = Chat(id=-1001, type="supergroup", title="Team")


def _message(text: str | None, chat: Chat, user: User = ALICE, **extra: object) -> Update:
    entities = None
    if text and text.startswith("/"):
        entities = [MessageEntity(type="bot_command", offset=0, length=len(text.split()[0]))]
    message = Message(
        message_id=next(_ids), date=datetime.now(UTC), chat=chat, from_user=user,
        text=text, entities=entities, **extra,
    )  # fmt: skip
    return Update(update_id=next(_ids), message=message)


def _private(user: User = ALICE) -> Chat:
    return Chat(id=user.id, type="private")


def _sent(session: TerminalSession) -> list[dict]:  # type: ignore[type-arg]
    return [p for name, p in session.calls if name == "sendMessage"]


async def test_private_question_is_answered_with_sources_and_buttons(
    dispatcher: Dispatcher, recorded: tuple[Bot, TerminalSession]
) -> None:
    bot, session = recorded
    await dispatcher.feed_update(bot, _message("什麼是顧客感知價值?", _private()))
    (sent,) = _sent(session)
    assert "[1]" in sent["text"] and "出處" in sent["text"]
    labels = [b["text"] for row in sent["reply_markup"]["inline_keyboard"] for b in row]
    assert labels == ["📚 出處", "👍", "👎"]


async def test_off_topic_gets_plain_decline_without_buttons(
    dispatcher: Dispatcher, recorded: tuple[Bot, TerminalSession]
) -> None:
    bot, session = recorded
    await dispatcher.feed_update(bot, _message("明天會下雨嗎?", _private()))
    (sent,) = _sent(session)
    assert "知識庫沒有涵蓋" in sent["text"]
    assert "reply_markup" not in sent


async def test_group_message_not_addressed_is_ignored(
    dispatcher: Dispatcher, recorded: tuple[Bot, TerminalSession]
) -> None:
    bot, session = recorded
    await dispatcher.feed_update(bot, _message("什麼是顧客感知價值?", GROUP))
    assert _sent(session) == []


async def test_group_mention_and_ask_are_answered_as_replies(
    dispatcher: Dispatcher, recorded: tuple[Bot, TerminalSession]
) -> None:
    bot, session = recorded
    text = f"@{BOT_USER['username']} 什麼是潛在價值?"
    mention = [MessageEntity(type="mention", offset=0, length=len(BOT_USER["username"]) + 1)]
    update = _message(text, GROUP)
    update.message.__dict__["entities"] = mention  # type: ignore[union-attr]
    await dispatcher.feed_update(bot, update)
    await dispatcher.feed_update(bot, _message("/ask What is influence value?", GROUP))
    first, second = _sent(session)
    assert "潛在價值" in first["text"] and "reply_parameters" in first
    assert "From our articles" in second["text"]


async def test_ask_without_question_and_too_long_question(
    dispatcher: Dispatcher, recorded: tuple[Bot, TerminalSession]
) -> None:
    bot, session = recorded
    await dispatcher.feed_update(bot, _message("/ask", _private()))
    await dispatcher.feed_update(bot, _message("顧客" * 2000, _private()))
    empty, long = _sent(session)
    assert "/ask" in empty["text"]
    assert "太長" in long["text"]


async def test_non_text_in_private_gets_polite_message(
    dispatcher: Dispatcher, recorded: tuple[Bot, TerminalSession]
) -> None:
    bot, session = recorded
    update = _message(None, _private())  # e.g. a sticker: no text, no caption
    await dispatcher.feed_update(bot, update)
    (sent,) = _sent(session)
    assert "文字" in sent["text"]


async def test_start_in_each_language(
    dispatcher: Dispatcher, recorded: tuple[Bot, TerminalSession]
) -> None:
    bot, session = recorded
    for code in ("zh-hant", "zh-cn", "en"):
        user = User(id=600, is_bot=False, first_name="U", language_code=code)
        await dispatcher.feed_update(bot, _message("/start", _private(user), user=user))
    hant, hans, en = (s["text"] for s in _sent(session))
    assert "客戶價值管理助手" in hant
    assert "客户价值管理助手" in hans
    assert "customer value management assistant" in en


async def test_feedback_and_sources_buttons(
    dispatcher: Dispatcher, recorded: tuple[Bot, TerminalSession], services: Services
) -> None:
    bot, session = recorded
    await dispatcher.feed_update(bot, _message("什么是货币成本?", _private()))
    (answer,) = _sent(session)
    buttons = [b for row in answer["reply_markup"]["inline_keyboard"] for b in row]
    origin = Message(
        message_id=1, date=datetime.now(UTC), chat=_private(), from_user=User(**BOT_USER),
        text="answer", reply_markup=answer["reply_markup"],
    )  # fmt: skip

    def press(data: str) -> Update:
        query = CallbackQuery(
            id=str(next(_ids)), from_user=ALICE, chat_instance="x", message=origin, data=data
        )
        return Update(update_id=next(_ids), callback_query=query)

    await dispatcher.feed_update(bot, press(buttons[1]["callback_data"]))  # 👍
    await dispatcher.feed_update(bot, press(buttons[2]["callback_data"]))  # changes to 👎
    rows = services.repo.list_feedback()
    mine = [r for r in rows if r.question == "什么是货币成本?"]
    assert len(mine) == 1 and mine[0].helpful is False
    assert mine[0].sources and "货币成本" in mine[0].answer

    await dispatcher.feed_update(bot, press(buttons[0]["callback_data"]))  # sources
    passages = _sent(session)[-1]
    assert "引用的原文段落" in passages["text"] and "<blockquote>" in passages["text"]
    edits = [p for name, p in session.calls if name == "editMessageReplyMarkup"]
    last_labels = [b["text"] for row in edits[-1]["reply_markup"]["inline_keyboard"] for b in row]
    assert "📚 出處" not in last_labels


async def test_stale_button_gets_polite_alert(
    dispatcher: Dispatcher, recorded: tuple[Bot, TerminalSession]
) -> None:
    bot, session = recorded
    query = CallbackQuery(id="q1", from_user=ALICE, chat_instance="x", data="fb:999999:1")
    await dispatcher.feed_update(bot, Update(update_id=next(_ids), callback_query=query))
    (answered,) = [p for name, p in session.calls if name == "answerCallbackQuery"]
    assert answered["show_alert"] is True


async def test_follow_up_in_same_chat(
    dispatcher: Dispatcher, recorded: tuple[Bot, TerminalSession]
) -> None:
    bot, session = recorded
    user = User(id=700, is_bot=False, first_name="B", language_code="en")
    await dispatcher.feed_update(
        bot, _message("What are Kano's three levels of customer needs?", _private(user), user=user)
    )
    await dispatcher.feed_update(bot, _message("and the second one?", _private(user), user=user))
    second = _sent(session)[-1]["text"]
    assert "滿足性需求" in second


async def test_vote_tick_survives_expanding_sources(
    dispatcher: Dispatcher, recorded: tuple[Bot, TerminalSession]
) -> None:
    bot, session = recorded
    await dispatcher.feed_update(bot, _message("什麼是潛在價值?", _private()))
    (answer,) = _sent(session)
    voted_markup = {
        "inline_keyboard": [
            [dict(b) for b in answer["reply_markup"]["inline_keyboard"][0]],
            [
                {**answer["reply_markup"]["inline_keyboard"][1][0], "text": "👍 ✓"},
                answer["reply_markup"]["inline_keyboard"][1][1],
            ],
        ]
    }
    origin = Message.model_validate(
        {
            "message_id": 1, "date": datetime.now(UTC), "chat": _private().model_dump(),
            "from": BOT_USER, "text": "answer", "reply_markup": voted_markup,
        }
    )  # fmt: skip
    sources_data = voted_markup["inline_keyboard"][0][0]["callback_data"]
    query = CallbackQuery(
        id="q2", from_user=ALICE, chat_instance="x", message=origin, data=sources_data
    )
    await dispatcher.feed_update(bot, Update(update_id=next(_ids), callback_query=query))
    edit = [p for name, p in session.calls if name == "editMessageReplyMarkup"][-1]
    labels = [b["text"] for row in edit["reply_markup"]["inline_keyboard"] for b in row]
    assert labels == ["👍 ✓", "👎"]


async def test_message_text_is_never_decoded_as_json(recorded: tuple[Bot, TerminalSession]) -> None:
    bot, session = recorded
    for text in ("[1]", "{}", "true", "42"):
        await bot.send_message(1, text)
        assert session.calls[-1][1]["text"] == text


async def test_follow_up_through_the_dispatcher_answers_that_item(
    dispatcher: Dispatcher, recorded: tuple[Bot, TerminalSession]
) -> None:
    """A list answer, then "那第二個呢?" in the same chat: the second item, not the list."""
    bot, session = recorded
    carol = User(id=733, is_bot=False, first_name="Carol", language_code="zh-hant")
    await dispatcher.feed_update(bot, _message("CRM分為哪三個部分?", _private(carol)))
    await dispatcher.feed_update(bot, _message("那第二個呢?", _private(carol)))
    first, second = _sent(session)
    for part in ("前期溝通", "核心運作", "後期分析"):
        assert part in first["text"]
    assert "二是核心運作" in second["text"] and "一是前期溝通" not in second["text"]


async def test_english_answer_is_glossed_through_the_dispatcher(
    dispatcher: Dispatcher, recorded: tuple[Bot, TerminalSession]
) -> None:
    bot, session = recorded
    dave = User(id=734, is_bot=False, first_name="Dave", language_code="en")
    await dispatcher.feed_update(bot, _message("What is customer equity?", _private(dave)))
    (sent,) = _sent(session)
    assert sent["text"].startswith("<b>From our articles")
    assert (
        "(customer equity)" in sent["text"] or "customer equity" in sent["text"].split("\n", 2)[2]
    )


async def test_new_answer_paths_through_the_dispatcher(
    dispatcher: Dispatcher, recorded: tuple[Bot, TerminalSession]
) -> None:
    """Issue 23's new paths, as a chat meets them: a list stated inside a sentence, then
    "那第二個呢?" (its second item); a tool the articles never name (declined politely, in
    the user's script, without buttons); a figure in another unit (no figure given)."""
    bot, session = recorded
    erin = User(id=735, is_bot=False, first_name="Erin", language_code="zh-hant")
    for text in ("客戶資產由哪幾部分組成?", "那第二個呢?", "SAP CRM 裡做客戶價值分析的是哪個模組?",
                 "星巴克的咖啡師培訓完,還要實習幾個月才能正式上崗?"):  # fmt: skip
        await dispatcher.feed_update(bot, _message(text, _private(erin)))
    listed, second, tool, figure = _sent(session)
    assert "品牌資產" in listed["text"]
    assert "品牌資產表示客戶對品牌的主觀和無形的評價" in second["text"]
    assert "知識庫沒有涵蓋" in tool["text"] and "reply_markup" not in tool
    assert "沒有給出這個數字" in figure["text"] and "reply_markup" not in figure
