"""Long polling (the default mode) against Telegram, or another Bot API server (`--api-url`)."""

from __future__ import annotations

from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode

from bot.factory import Services, build_dispatcher
from bot.retry import RetryMiddleware
from bot.runners.ops_http import serve_ops

POLLING_TIMEOUT_SECONDS = 10


def make_bot(token: str, api_url: str | None) -> Bot:
    session = (
        AiohttpSession(api=TelegramAPIServer.from_base(api_url)) if api_url else AiohttpSession()
    )
    session.middleware(RetryMiddleware())
    # A reply to a message the user deleted meanwhile is still sent, as a plain message.
    default = DefaultBotProperties(parse_mode=ParseMode.HTML, allow_sending_without_reply=True)
    return Bot(token, session=session, default=default)


async def run_polling(services: Services, token: str, api_url: str | None) -> None:
    """On SIGTERM/SIGINT aiogram stops fetching; the shutdown hooks then wait for the
    updates in flight. With OPS_PORT set, /healthz, /readyz and /metrics are served."""
    bot = make_bot(token, api_url)
    dp = build_dispatcher(services)
    ops = await serve_ops(services)
    try:
        await dp.start_polling(bot, polling_timeout=POLLING_TIMEOUT_SECONDS, handle_signals=True)
    finally:
        if ops is not None:
            await ops.cleanup()
        await services.state.close()
