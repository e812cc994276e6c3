"""The HTTP endpoints every process serves: /healthz, /readyz and /metrics.

/healthz answers while the event loop runs (for a restart policy); /readyz says whether
this process can serve users now: the database answers and the index has passages
(for a load balancer). /metrics is Prometheus' text format.
"""

from __future__ import annotations

import json

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from bot.factory import Services
from bot.health import check_database, check_index, check_state


def add_ops_routes(app: web.Application, services: Services) -> None:
    async def healthz(_request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def readyz(_request: web.Request) -> web.Response:
        checks = {
            "database": await check_database(services.engine),
            "index": check_index(services.knowledge),
            "shared_state": await check_state(services.state),
        }
        ready = all(c.ok for c in checks.values())
        body = {
            "ready": ready,
            "checks": {k: {"ok": c.ok, "detail": c.detail} for k, c in checks.items()},
        }
        return web.Response(
            text=json.dumps(body), status=200 if ready else 503, content_type="application/json"
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
