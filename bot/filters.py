"""When a message is meant for the bot: always in private, only when addressed in groups."""

from __future__ import annotations

from typing import Any

from aiogram import Bot
from aiogram.enums import ChatType, MessageEntityType
from aiogram.filters import Filter
from aiogram.types import Message


class AddressedToBot(Filter):
    """Private chats: every text. Groups: a mention of the bot or a reply to one of its messages.

    On a match the question is handed on without the @mention.
    """

    async def __call__(self, message: Message, bot: Bot) -> bool | dict[str, Any]:
        text = message.text or ""
        if message.chat.type == ChatType.PRIVATE:
            return {"question": text}
        me = await bot.me()
        replied = message.reply_to_message
        if replied and replied.from_user and replied.from_user.id == me.id:
            return {"question": text}
        mention = f"@{me.username}".lower() if me.username else None
        for entity in message.entities or ():
            if entity.type == MessageEntityType.MENTION and mention:
                value = entity.extract_from(text)
                if value.lower() == mention:
                    cleaned = (
                        text[: entity.offset] + text[entity.offset + entity.length :]
                    ).strip()
                    return {"question": cleaned}
        return False
