"""Webhook mode: Telegram (or a load balancer in front of several processes) posts
updates to an aiohttp server, which also serves /healthz, /readyz and /metrics.

Updates are handled before the HTTP reply (not in the background), so Telegram retries
any update a crashed process never finished; the de-duplication middleware makes the
retry of a finished one a no-op. On SIGTERM the server stops taking requests, the
updates in flight finish, then the dispatcher shuts down.
"""

from __future__ import annotations

import asyncio
import logging
import signal

from aiogram import Bot, Dispatcher
from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application
from aiohttp import web

from bot.factory import Services, build_dispatcher
from bot.runners.ops_http import add_ops_routes, start_site
from bot.runners.polling import make_bot

log = logging.getLogger(__name__)
MAX_UPDATE_BYTES = 1024 * 1024  # an update is a few KB; anything this big is not Telegram


def build_webhook_app(services: Services, bot: Bot, dp: Dispatcher) -> web.Application:
    settings = services.settings
    secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
    app = web.Application(client_max_size=MAX_UPDATE_BYTES)
    add_ops_routes(app, services)
    setup_application(app, dp, bot=bot)  # its shutdown (drain, quizzes) runs first
    SimpleRequestHandler(
        dispatcher=dp, bot=bot, handle_in_background=False, secret_token=secret
    ).register(app, path=settings.webhook_path)

    async def register(_app: web.Application) -> None:
        if settings.webhook_register and settings.webhook_base_url:
            url = settings.webhook_base_url.rstrip("/") + settings.webhook_path
            await bot.set_webhook(
                url,
                secret_token=secret,
                allowed_updates=dp.resolve_used_update_types(),
                drop_pending_updates=False,
            )
            log.info("webhook set to %s", url)

    app.on_startup.append(register)
    return app


async def run_webhook(services: Services, token: str, api_url: str | None) -> None:
    settings = services.settings
    bot = make_bot(token, api_url)
    dp = build_dispatcher(services)
    app = build_webhook_app(services, bot, dp)
    port = settings.resolved_http_port or 8080
    runner = await start_site(app, settings.http_host, port, settings.shutdown_timeout_seconds)
    log.info("webhook server listening on %s:%s%s", settings.http_host, port, settings.webhook_path)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
        log.info("stopping: finishing the updates in flight")
    finally:
        await runner.cleanup()
        await services.state.close()
