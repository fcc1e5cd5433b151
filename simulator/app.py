"""The simulator's ASGI application: Dashboard API under /api/v1, media and dashboard stand-ins."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp

from simulator.context import Context
from simulator.errors import ApiError, error_response, handle_api_error
from simulator.gate import API_PREFIX, ApiGate, DropNoiseFilter
from simulator.routes import (
    analytics,
    boundaries,
    camera,
    control,
    devices,
    media,
    organizations,
)


def _api_routes(ctx: Context) -> list[BaseRoute]:
    routes: list[BaseRoute] = []
    for module in (organizations, devices, camera, analytics, boundaries):
        for route in module.routes(ctx):
            methods = sorted((route.methods or {"GET"}) - {"HEAD"})
            routes.append(Route(API_PREFIX + route.path, route.endpoint, methods=methods))
    return routes


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if request.url.path.startswith(API_PREFIX):
        message = "Not found" if exc.status_code == 404 else str(exc.detail)
        return error_response(exc.status_code, message)
    return PlainTextResponse(str(exc.detail), status_code=exc.status_code)


def build_app(ctx: Context, drops: DropNoiseFilter) -> ASGIApp:
    """The whole simulated cloud for one fleet, configuration and state."""
    app = Starlette(
        routes=[*_api_routes(ctx), *media.routes(ctx), *control.routes(ctx)],
        exception_handlers={ApiError: handle_api_error, HTTPException: _http_error},
    )
    return ApiGate(app, ctx.cfg, ctx.fleet.organization.id, ctx.state, drops)
