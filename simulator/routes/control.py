"""Control routes for tests and demos: take a camera offline now, and bring it back.

Outside /api/v1 (no API key, no rate limit): they stand for the camera's power cable, not for
anything the Dashboard API offers. The availabilities, clips and snapshots follow at once.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from simulator.context import Context
from simulator.errors import error_response


def routes(ctx: Context) -> list[Route]:
    async def offline(request: Request) -> Response:
        return answer(request, ctx.state.take_offline)

    async def online(request: Request) -> Response:
        return answer(request, ctx.state.bring_online)

    def answer(request: Request, change: Callable[[str, float], None]) -> Response:
        serial = str(request.path_params["serial"])
        camera = ctx.fleet.camera(serial)
        if camera is None:
            return error_response(404, f"no camera {serial} in this fleet")
        change(serial, ctx.now())
        return JSONResponse({"serial": serial, "status": ctx.status(camera)})

    return [
        Route("/control/cameras/{serial}/offline", offline, methods=["POST"]),
        Route("/control/cameras/{serial}/online", online, methods=["POST"]),
    ]
