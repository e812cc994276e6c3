"""Long polling against Telegram, or against another Bot API server (`--api-url`)."""

from __future__ import annotations

from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode

from bot.factory import Services, build_dispatcher
from bot.retry import RetryMiddleware

POLLING_TIMEOUT_SECONDS = 10


def make_bot(token: str, api_url: str | None) -> Bot:
    session = (
        AiohttpSession(api=TelegramAPIServer.from_base(api_url)) if api_url else AiohttpSession()
    )
    session.middleware(RetryMiddleware())
    return Bot(token, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML))


async def run_polling(services: Services, token: str, api_url: str | None) -> None:
    bot = make_bot(token, api_url)
    dp = build_dispatcher(services)
    await dp.start_polling(bot, polling_timeout=POLLING_TIMEOUT_SECONDS, handle_signals=True)
