"""The Starlette application factory: every dependency is passed in, nothing is global."""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable, Mapping, Sequence

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from bot.telemetry.metrics import Metrics
from bot.web.bodies import BodyLimit
from bot.web.files import file_routes
from bot.web.links import FileLinks

HealthCheck = Callable[[], Awaitable[dict[str, str]]]
# What /healthz shows beside the checks, fixed or asked for at each request.
About = Mapping[str, object] | Callable[[], Awaitable[Mapping[str, object]]]


def create_app(
    *,
    metrics: Metrics,
    health: HealthCheck,
    links: FileLinks | None = None,
    routes: Sequence[BaseRoute] = (),
    metrics_token: str | None = None,
    about: About | None = None,
) -> Starlette:
    """The web app: health, metrics, file links, plus the routes adapters contribute.

    `metrics_token`, when given, is the bearer token /metrics asks for (Prometheus'
    `authorization` setting); without it /metrics is open, for a loopback-only bind.
    `about` is shown in /healthz beside the checks (which replica answers, its role, the
    replicas it sees), never judged.
    """

    async def healthz(request: Request) -> Response:
        checks = await health()
        ok = all(value == "ok" for value in checks.values())
        status = "ok" if ok else "degraded"
        shown = (await about()) if callable(about) else (about or {})
        return JSONResponse({"status": status, **shown, **checks}, 200 if ok else 503)

    async def metrics_text(request: Request) -> Response:
        if metrics_token is not None and not bearer_matches(request, metrics_token):
            return PlainTextResponse(
                "/metrics needs the bearer token configured as [http] metrics_token.\n",
                status_code=401,
                headers={"WWW-Authenticate": 'Bearer realm="mvbot metrics"'},
            )
        return PlainTextResponse(metrics.exposition(), media_type="text/plain; version=0.0.4")

    every: list[BaseRoute] = [
        Route("/healthz", healthz),
        Route("/metrics", metrics_text),
        *(file_routes(links) if links else []),
        *routes,
    ]
    return Starlette(routes=every, middleware=[Middleware(BodyLimit, routes=every)])


def bearer_matches(request: Request, token: str) -> bool:
    """Whether the request carries `Authorization: Bearer <token>`, compared in constant time."""
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return False
    # Bytes: compare_digest refuses non-ASCII text, and a header may hold any.
    return hmac.compare_digest(given.strip().encode("utf-8", "replace"), token.encode())
