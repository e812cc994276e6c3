"""Webhook bot processes as the production topology runs them, for the scale test and
`bench/soak_prod.py`: the same settings and the same readiness wait in both."""

from __future__ import annotations

import asyncio

import aiohttp

from tests.postgres import free_port

_OPS_PORTS: dict[int, int] = {}  # webhook port -> operations port, chosen by webhook_env


def ops_port(port: int) -> int:
    """Where the process whose webhook listens on `port` serves /healthz, /readyz and
    /metrics (never on the webhook port). Keyed by the webhook port so that callers
    knowing only that (bench/soak_prod.py) need not change."""
    return _OPS_PORTS[port]


def webhook_env(name: str, port: int, token: str, secret: str, register: bool) -> dict[str, str]:
    """The settings one `cvm run` process of a webhook cluster differs in."""
    _OPS_PORTS.setdefault(port, free_port())
    return {
        "TELEGRAM_BOT_TOKEN": token,
        "RUN_MODE": "webhook",
        "WEBHOOK_BASE_URL": f"http://127.0.0.1:{port}",
        "WEBHOOK_SECRET": secret,
        "WEBHOOK_REGISTER": "true" if register else "false",
        "HTTP_HOST": "127.0.0.1",
        "HTTP_PORT": str(port),
        "OPS_PORT": str(ops_port(port)),
        "INSTANCE_NAME": name,
        "LOG_FORMAT": "json",
    }


async def wait_ready(ports: list[int], seconds: float = 120.0) -> None:
    """Until every process (by webhook port) answers /readyz with 200 on its operations
    port; TimeoutError names the first that did not."""
    async with aiohttp.ClientSession() as http:
        for port in ports:
            deadline = asyncio.get_running_loop().time() + seconds
            while True:
                try:
                    async with http.get(f"http://127.0.0.1:{ops_port(port)}/readyz") as response:
                        if response.status == 200:
                            break
                except aiohttp.ClientError:
                    pass
                if asyncio.get_running_loop().time() > deadline:
                    raise TimeoutError(f"the bot on port {port} never became ready")
                await asyncio.sleep(0.2)
