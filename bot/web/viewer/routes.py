"""`/s/<token>…`: the share page, its PIN form, HLS playlists, live.json and segments."""

from __future__ import annotations

import asyncio
import math
from pathlib import Path
from urllib.parse import parse_qs, quote

from starlette.requests import Request
from starlette.responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    RedirectResponse,
    Response,
)
from starlette.routing import Route

from bot.shares import Share
from bot.shares.credentials import pin_matches, pin_proof
from bot.web.bodies import CappedRoute
from bot.web.viewer.guard import (
    PIN_COOKIE,
    SECURITY_HEADERS,
    Viewer,
    Visit,
    admit,
    camera,
    log_view,
    refuse,
)
from bot.web.viewer.media import live_state, playlist
from bot.web.viewer.page import CONTENT_SECURITY_POLICY, pin_page, stream_page

STATIC = Path(__file__).parent / "static"
_STATIC_TYPES = {"player.js": "text/javascript", "viewer.css": "text/css"}
# How long a playlist request waits for a stream that just started to hold a segment.
FIRST_SEGMENT_WAIT = 20.0
MAX_FORM = 1024


def viewer_routes(viewer: Viewer) -> list[Route]:
    length = viewer.shares.settings.segment_length.total_seconds()

    async def page(request: Request) -> Response:
        visit = await admit(viewer, request)
        if isinstance(visit, Response):
            return visit
        if not visit.pin_ok:
            return _html(pin_page(visit.token), 200)
        wanted = request.query_params.get("camera")
        share = visit.grant.share_for(wanted) if wanted else None
        share = share or visit.grant.shares[0]
        await log_view(viewer, visit, share)
        body = stream_page(
            visit.token, share, visit.grant.shares, proof=visit.proof, segment_length=length
        )
        return _html(body, 200)

    async def enter_pin(request: Request) -> Response:
        visit = await admit(viewer, request)
        if isinstance(visit, Response):
            return visit
        link = visit.grant.link
        if link.pin_hash is None or visit.pin_ok:
            return RedirectResponse(f"/s/{quote(visit.token)}", 303, headers=SECURITY_HEADERS)
        # Counted before the body is read or the hash computed: a burst of guesses sent
        # at once cannot all pass a check that each of them made before any had failed.
        admission = await viewer.shares.pins.admit(link.id, visit.address)
        if not admission.allowed:
            retry = str(max(1, math.ceil(admission.retry_after.total_seconds())))
            page = pin_page(visit.token, "Too many wrong PINs — try again later.")
            return _html(page, 429, {"Retry-After": retry})
        pin = await _form_pin(request)
        if not pin or not await asyncio.to_thread(pin_matches, pin, link.pin_hash):
            return _html(pin_page(visit.token, "That PIN is not right."), 403)
        await viewer.shares.pins.succeeded(link.id, visit.address)
        path = f"/s/{quote(visit.token)}"
        response = RedirectResponse(path, 303, headers=SECURITY_HEADERS)
        response.set_cookie(
            PIN_COOKIE,
            pin_proof(viewer.key, link.token_hash),
            path=path,
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )
        return response

    async def hls_playlist(request: Request) -> Response:
        found = await _watched(viewer, request)
        if isinstance(found, Response):
            return found
        visit, share = found
        await log_view(viewer, visit, share)
        stream = viewer.streams.watch(share.serial)
        await stream.first_segment(FIRST_SEGMENT_WAIT)
        text = playlist(stream.view(), share.serial, visit.proof)
        return Response(text, headers=SECURITY_HEADERS, media_type="application/vnd.apple.mpegurl")

    async def live(request: Request) -> Response:
        found = await _watched(viewer, request)
        if isinstance(found, Response):
            return found
        visit, share = found
        view = viewer.streams.watch(share.serial).view()
        now = viewer.shares.clock()
        state = live_state(view, share.serial, f"/s/{quote(visit.token)}", now)
        return JSONResponse(state, headers=SECURITY_HEADERS)

    async def segment(request: Request) -> Response:
        found = await _watched(viewer, request)
        if isinstance(found, Response):
            return found
        _, share = found
        kind = request.path_params["kind"]
        stream = viewer.streams.watch(share.serial)
        path = stream.file(request.path_params["seq"], kind)
        if path is None:
            return refuse(404, "That part of the stream is no longer available.")
        media_type = "video/mp2t" if kind == "ts" else "video/mp4"
        return FileResponse(path, media_type=media_type, headers=SECURITY_HEADERS)

    async def static(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in _STATIC_TYPES:
            return refuse(404, "Not found.")
        return FileResponse(
            STATIC / name,
            media_type=_STATIC_TYPES[name],
            headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"},
        )

    return [
        Route("/s/-/{name}", static),
        Route("/s/{token}", page, methods=["GET"]),
        CappedRoute("/s/{token}", enter_pin, cap=MAX_FORM),
        Route("/s/{token}/{serial}.m3u8", hls_playlist),
        Route("/s/{token}/{serial}/live.json", live),
        Route("/s/{token}/{serial}/{seq:int}.{kind:str}", segment),
    ]


async def _watched(viewer: Viewer, request: Request) -> tuple[Visit, Share] | Response:
    visit = await admit(viewer, request)
    if isinstance(visit, Response):
        return visit
    share = camera(visit, request.path_params["serial"])
    if isinstance(share, Response):
        return share
    return visit, share


async def _form_pin(request: Request) -> str:
    """The `pin` field of a small url-encoded form (BodyLimit has capped it at MAX_FORM)."""
    body = await request.body()
    values = parse_qs(body.decode("utf-8", "replace")).get("pin", [""])
    return values[0].strip()


def _html(body: str, status: int, extra: dict[str, str] | None = None) -> Response:
    headers = {**SECURITY_HEADERS, "Content-Security-Policy": CONTENT_SECURITY_POLICY}
    headers.update(extra or {})
    return HTMLResponse(body, status_code=status, headers=headers)
