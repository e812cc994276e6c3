"""The operations endpoints: /healthz, /readyz and /metrics, on their own port.

/healthz answers while the event loop runs (for a restart policy); /readyz says whether
this process can serve users now, "ok" or "degraded" with 200, "unavailable" with 503
(bot/health.py; for a load balancer). /metrics is Prometheus' text format.

They never share the public webhook port: OPS_HOST (127.0.0.1 unless set) and OPS_PORT,
so what the internet can reach is the webhook path and nothing that tells how the bot
is doing or what it counts.
"""

from __future__ import annotations

import json
import logging

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from bot.factory import Services
from bot.health import readiness

log = logging.getLogger(__name__)


def add_ops_routes(app: web.Application, services: Services) -> None:
    async def healthz(_request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def readyz(_request: web.Request) -> web.Response:
        found = await readiness(services.engine, services.knowledge, services.state)
        body = {
            "ready": found.ready,
            "status": found.status,
            "checks": {k: {"ok": c.ok, "detail": c.detail} for k, c in found.checks.items()},
        }
        return web.Response(
            text=json.dumps(body),
            status=200 if found.ready else 503,
            content_type="application/json",
        )

    async def metrics(_request: web.Request) -> web.Response:
        response = web.Response(body=services.metrics.exposition())
        response.content_type = CONTENT_TYPE_LATEST.split(";")[0]
        return response

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)


async def start_site(app: web.Application, host: str, port: int, timeout: float) -> web.AppRunner:
    runner = web.AppRunner(app, shutdown_timeout=timeout, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner


async def serve_ops(services: Services) -> web.AppRunner | None:
    """Start the operations endpoints if this mode serves them; the caller cleans up."""
    settings = services.settings
    port = settings.resolved_ops_port
    if port is None:
        return None
    app = web.Application()
    add_ops_routes(app, services)
    runner = await start_site(app, settings.ops_host, port, settings.shutdown_timeout_seconds)
    log.info("/healthz, /readyz and /metrics on %s:%s", settings.ops_host, port)
    return runner
