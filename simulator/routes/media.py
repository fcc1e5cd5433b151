"""Downloads behind the URLs the clip and snapshot endpoints hand out (not API calls)."""

from __future__ import annotations

import asyncio
import html
import os
from collections.abc import AsyncIterator
from pathlib import Path

import anyio
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from simulator.context import Context
from simulator.media import encode_jpeg
from simulator.state import MediaGrant

_CHUNK = 256 * 1024


async def stream_file(path: Path, media_type: str) -> Response:
    """Stream a file opened now, so evicting it from the cache cannot cut this download."""
    handle = await anyio.open_file(path, "rb")
    size = os.fstat(handle.wrapped.fileno()).st_size

    async def chunks() -> AsyncIterator[bytes]:
        try:
            while chunk := await handle.read(_CHUNK):
                yield chunk
        finally:
            await handle.aclose()

    return StreamingResponse(chunks(), media_type=media_type, headers={"Content-Length": str(size)})


def routes(ctx: Context) -> list[Route]:
    def usable(token: str, kind: str) -> MediaGrant | Response:
        grant = ctx.state.lookup(token)
        if grant is None or grant.kind != kind:
            return PlainTextResponse("Not found", status_code=404)
        now = ctx.now()
        if now >= grant.expires_at:
            return PlainTextResponse("Request has expired", status_code=403)
        if now < grant.ready_at:  # the real cloud's image is not uploaded yet either
            return PlainTextResponse("Not found", status_code=404)
        return grant

    async def clip_file(request: Request) -> Response:
        found = usable(str(request.path_params["token"]), "clip")
        if isinstance(found, Response):
            return found
        path = await ctx.clips.clip(found)
        return await stream_file(path, "video/mp2t")

    async def snapshot_file(request: Request) -> Response:
        found = usable(str(request.path_params["token"]), "snapshot")
        if isinstance(found, Response):
            return found
        camera = ctx.fleet.camera(found.serial)
        if camera is None:
            return PlainTextResponse("Not found", status_code=404)
        scale = 2 if found.fullframe else 1
        renderer = ctx.studio.renderer(
            camera,
            ctx.fleet.network_of(camera),
            found.imager,
            ctx.cfg.width * scale,
            ctx.cfg.height * scale,
        )
        image = await asyncio.to_thread(renderer, found.start_ms)
        jpeg = await asyncio.to_thread(encode_jpeg, image)
        return Response(jpeg, media_type="image/jpeg")

    async def dashboard(request: Request) -> Response:
        # Stand-in for dashboard and Vision pages, which need a Meraki login in reality.
        where = html.escape(
            request.url.path + ("?" + request.url.query if request.url.query else "")
        )
        return HTMLResponse(
            "<!doctype html><title>Meraki dashboard (simulated)</title>"
            "<h1>Meraki dashboard (simulated)</h1>"
            f"<p>This page stands in for <code>{where}</code>, "
            "which needs a dashboard login on the real cloud.</p>"
        )

    return [
        Route("/media/clips/{token}.ts", clip_file),
        Route("/media/snapshots/{token}.jpg", snapshot_file),
        Route("/dashboard/{rest:path}", dashboard),
        Route("/vision/{rest:path}", dashboard),
    ]
