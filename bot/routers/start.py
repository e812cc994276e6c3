"""/start and /help: what the bot does, in the user's language."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandStart
from aiogram.types import Message

from bot.texts import t
from knowledge.models import Lang


async def start(message: Message, lang: Lang) -> None:
    await message.answer(t("start", lang))


def make_router() -> Router:
    router = Router(name="start")
    router.message.register(start, CommandStart())
    router.message.register(start, Command("help"))
    return router
