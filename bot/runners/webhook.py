"""Webhook mode: Telegram (or a load balancer in front of several processes) posts
updates to an aiohttp server that serves the webhook path only; /healthz, /readyz and
/metrics have their own private port (bot/runners/ops_http.py).

Updates are handled before the HTTP reply (not in the background), so Telegram retries
any update a crashed process never finished; the de-duplication middleware makes the
retry of a finished one a no-op. On SIGTERM the server stops taking requests, the
updates in flight finish, then the dispatcher shuts down.
"""

from __future__ import annotations

import asyncio
import json
import logging
import signal
from contextlib import AsyncExitStack
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.methods import TelegramMethod
from aiogram.types import Update
from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application
from aiohttp import web
from pydantic import ValidationError

from bot.factory import Services, build_dispatcher
from bot.runners.ops_http import serve_ops, start_site
from bot.runners.polling import make_bot

log = logging.getLogger(__name__)
MAX_UPDATE_BYTES = 1024 * 1024  # an update is a few KB; anything this big is not Telegram


class UpdateRequestHandler(SimpleRequestHandler):
    """Only updates reach the dispatcher: a body that is not one (malformed or deeply
    nested JSON, a list, an object without an integer update_id) gets 400 and one log line
    at info level, never a 500 with a traceback."""

    async def _handle_request(self, bot: Bot, request: web.Request) -> web.Response:
        try:
            payload = json.loads(await request.read())
            if not isinstance(payload, dict) or type(payload.get("update_id")) is not int:
                raise ValueError("no update_id")
            update = Update.model_validate(payload, context={"bot": bot})
        except (ValueError, RecursionError, ValidationError) as error:
            log.info("webhook body is not an update (%s): 400", type(error).__name__)
            return web.Response(status=400, text="not a Telegram update")
        result: TelegramMethod[Any] | None = await self.dispatcher.feed_webhook_update(
            bot, update, **self.data
        )
        return web.Response(body=self._build_response_writer(bot=bot, result=result))


def build_webhook_app(services: Services, bot: Bot, dp: Dispatcher) -> web.Application:
    settings = services.settings
    secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
    app = web.Application(client_max_size=MAX_UPDATE_BYTES)
    setup_application(app, dp, bot=bot)  # its shutdown (drain, quizzes) runs first
    UpdateRequestHandler(
        dispatcher=dp, bot=bot, handle_in_background=False, secret_token=secret
    ).register(app, path=settings.webhook_path)

    return app


async def register_webhook(services: Services, bot: Bot, dp: Dispatcher) -> None:
    """Point Telegram at this server; called only once it listens, so an instance that
    cannot bind its port never takes the traffic of the ones that can."""
    settings = services.settings
    if not (settings.webhook_register and settings.webhook_base_url):
        return
    secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
    url = settings.webhook_base_url.rstrip("/") + settings.webhook_path
    await bot.set_webhook(
        url,
        secret_token=secret,
        allowed_updates=dp.resolve_used_update_types(),
        drop_pending_updates=False,
    )
    log.info("webhook set to %s", url)


async def serve_webhook(services: Services, bot: Bot, dp: Dispatcher, stop: asyncio.Event) -> None:
    settings = services.settings
    app = build_webhook_app(services, bot, dp)
    port = settings.resolved_http_port or 8080
    async with AsyncExitStack() as cleanup:  # the webhook closes first, then /readyz
        ops = await serve_ops(services)
        if ops is not None:
            cleanup.push_async_callback(ops.cleanup)
        runner = await start_site(app, settings.http_host, port, settings.shutdown_timeout_seconds)
        cleanup.push_async_callback(runner.cleanup)
        log.info(
            "webhook server listening on %s:%s%s", settings.http_host, port, settings.webhook_path
        )
        await register_webhook(services, bot, dp)
        await stop.wait()
        log.info("stopping: finishing the updates in flight")


async def run_webhook(services: Services, token: str, api_url: str | None) -> None:
    bot = make_bot(token, api_url)
    dp = build_dispatcher(services)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await serve_webhook(services, bot, dp, stop)
    finally:
        await services.state.close()
