"""Webhook bodies that are not updates (issue 14, item 10): 400, no traceback, and the
in-flight count a shutdown waits on is left as it was found."""

from __future__ import annotations

import logging

import pytest
from aiogram import Bot
from aiohttp.test_utils import TestClient, TestServer

from bot.factory import Services, build_dispatcher
from bot.runners.terminal import TerminalSession
from bot.runners.webhook import build_webhook_app, serve_webhook

NOT_UPDATES = [b"{not json", b"[1,2,3]", b'{"hello":"world"}', b"", b"[" * 5000 + b"]" * 5000,
               b'{"update_id": "seven"}', b'{"update_id": 1, "message": {"text": 5}}']  # fmt: skip


async def test_non_update_bodies_get_400_and_the_in_flight_count_holds(
    services: Services,
    recorded: tuple[Bot, TerminalSession],
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = services.settings.model_copy(
        update={"webhook_secret": None, "webhook_register": False}
    )
    bot, _ = recorded  # startup calls (setMyCommands) are recorded, not sent
    dp = build_dispatcher(services.__class__(**{**services.__dict__, "settings": settings}))
    app = build_webhook_app(services, bot, dp)
    caplog.set_level(logging.INFO)
    async with TestClient(TestServer(app)) as client:
        path = settings.webhook_path
        for body in NOT_UPDATES:
            response = await client.post(
                path, data=body, headers={"Content-Type": "application/json"}
            )
            assert response.status == 400, body[:40]
        bare = await client.post(path, json={"update_id": 991})
        assert bare.status == 200
    assert dp["in_flight"].count == 0
    assert "Traceback" not in caplog.text


async def test_webhook_is_registered_only_once_the_port_listens(
    services: Services, recorded: tuple[Bot, TerminalSession]
) -> None:
    """Issue 14, item 11: setWebhook was called before the port was bound, so an instance
    failing on a busy port had already taken Telegram's traffic."""
    import asyncio
    import socket

    bot, session = recorded
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    port = busy.getsockname()[1]
    settings = services.settings.model_copy(
        update={
            "http_host": "127.0.0.1",
            "http_port": port,
            "webhook_base_url": "https://bot.example.com",
            "webhook_register": True,
        }
    )
    mine = services.__class__(**{**services.__dict__, "settings": settings})
    stop = asyncio.Event()
    with pytest.raises(OSError):
        await serve_webhook(mine, bot, build_dispatcher(mine), stop)
    assert "setWebhook" not in [name for name, _ in session.calls]
    busy.close()
    stop.set()
    await serve_webhook(mine, bot, build_dispatcher(mine), stop)  # free port: registers
    assert "setWebhook" in [name for name, _ in session.calls]


async def test_operations_endpoints_are_on_their_own_local_port(
    services: Services, recorded: tuple[Bot, TerminalSession]
) -> None:
    """Issue 24, item 7: /healthz, /readyz and /metrics were served on the public webhook
    port. They move to OPS_PORT on OPS_HOST (127.0.0.1 unless set); the webhook port
    serves the webhook path only."""
    import asyncio

    import aiohttp

    from tests.postgres import free_port

    bot, _ = recorded
    web_port, ops_port = free_port(), free_port()
    settings = services.settings.model_copy(
        update={
            "run_mode": "webhook",
            "http_host": "127.0.0.1",
            "http_port": web_port,
            "ops_port": ops_port,
            "webhook_secret": None,
            "webhook_register": False,
        }
    )
    mine = services.__class__(**{**services.__dict__, "settings": settings})
    stop = asyncio.Event()
    served = asyncio.create_task(serve_webhook(mine, bot, build_dispatcher(mine), stop))
    try:
        async with aiohttp.ClientSession() as http:
            for _ in range(100):
                try:
                    await http.post(f"http://127.0.0.1:{web_port}{settings.webhook_path}")
                    break
                except aiohttp.ClientConnectionError:
                    await asyncio.sleep(0.05)
            for path in ("/healthz", "/readyz", "/metrics"):
                async with http.get(f"http://127.0.0.1:{web_port}{path}") as response:
                    assert response.status == 404, path
                async with http.get(f"http://127.0.0.1:{ops_port}{path}") as response:
                    assert response.status == 200, path
    finally:
        stop.set()
        await served
