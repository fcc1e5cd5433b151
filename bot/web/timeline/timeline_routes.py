"""`/i/<token>…`: the incident's timeline page, its cameras' clips and its evidence ZIP.

A token names one incident and its expiry, signed (bot.incidents.signing): a forged or
unknown one is 404, an expired or revoked one 410, checked on every request — the page,
each range request of a player, the ZIP.
"""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response
from starlette.routing import Route

from bot.incidents import Incident, IncidentService
from bot.web.timeline.timeline_page import CONTENT_SECURITY_POLICY, message_page, timeline_page
from bot.web.viewer import RateLimiter
from bot.web.viewer.guard import SECURITY_HEADERS

STATIC = Path(__file__).parent / "static"
_STATIC_TYPES = {"timeline.js": "text/javascript", "timeline.css": "text/css"}
GONE = "This incident link has expired or was revoked. Ask the room that made it for a new one."
NOT_FOUND = "This link is not valid. Check that it was copied whole."


def timeline_routes(incidents: IncidentService, limiter: RateLimiter) -> list[Route]:
    async def admitted(request: Request) -> Incident | Response:
        address = request.client.host if request.client else "unknown"
        wait = limiter.wait(address)
        if wait > 0:
            retry = str(max(1, round(wait)))
            return _html(message_page("Too many requests — wait a moment."), 429, retry)
        admission = await incidents.admit(request.path_params["token"])
        if admission.incident is None:
            text = GONE if admission.status == 410 else NOT_FOUND
            return _html(message_page(text), admission.status)
        return admission.incident

    async def page(request: Request) -> Response:
        incident = await admitted(request)
        if isinstance(incident, Response):
            return incident
        events = await incidents.events(incident)
        return _html(timeline_page(request.path_params["token"], incident, events), 200)

    async def clip(request: Request) -> Response:
        incident = await admitted(request)
        if isinstance(incident, Response):
            return incident
        name = request.path_params["name"]
        path = incidents.file(incident, name) if name != incident.package else None
        if path is None:
            return _html(message_page("That file is not part of this incident."), 404)
        return FileResponse(path, media_type="video/mp4", headers=SECURITY_HEADERS)

    async def package(request: Request) -> Response:
        incident = await admitted(request)
        if isinstance(incident, Response):
            return incident
        path = incidents.file(incident, incident.package) if incident.package else None
        if path is None:
            return _html(message_page("The evidence package is not ready yet."), 404)
        return FileResponse(
            path, media_type="application/zip", filename=path.name, headers=SECURITY_HEADERS
        )

    async def static(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in _STATIC_TYPES:
            return _html(message_page("Not found."), 404)
        return FileResponse(
            STATIC / name,
            media_type=_STATIC_TYPES[name],
            headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"},
        )

    return [
        Route("/i/-/{name}", static),
        Route("/i/{token}", page),
        Route("/i/{token}/evidence.zip", package),
        Route("/i/{token}/files/{name}", clip),
    ]


def _html(body: str, status: int, retry_after: str | None = None) -> Response:
    headers = {**SECURITY_HEADERS, "Content-Security-Policy": CONTENT_SECURITY_POLICY}
    if retry_after is not None:
        headers["Retry-After"] = retry_after
    return HTMLResponse(body, status_code=status, headers=headers)
