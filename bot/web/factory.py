"""The Starlette application factory: every dependency is passed in, nothing is global."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from bot.telemetry.metrics import Metrics
from bot.web.files import file_routes
from bot.web.links import FileLinks

HealthCheck = Callable[[], Awaitable[dict[str, str]]]


def create_app(
    *,
    metrics: Metrics,
    health: HealthCheck,
    links: FileLinks | None = None,
    routes: Sequence[BaseRoute] = (),
) -> Starlette:
    """The web app: health, metrics, file links, plus the routes adapters contribute."""

    async def healthz(request: Request) -> Response:
        checks = await health()
        ok = all(value == "ok" for value in checks.values())
        return JSONResponse({"status": "ok" if ok else "degraded", **checks}, 200 if ok else 503)

    async def metrics_text(request: Request) -> Response:
        return PlainTextResponse(metrics.exposition(), media_type="text/plain; version=0.0.4")

    return Starlette(
        routes=[
            Route("/healthz", healthz),
            Route("/metrics", metrics_text),
            *(file_routes(links) if links else []),
            *routes,
        ]
    )
