"""Every viewer request passes here: rate limit, token, expiry or revocation, PIN, camera."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from bot.shares import Grant, Share, ShareService
from bot.shares.credentials import proof_matches
from bot.shares.streams import StreamHub
from bot.web.viewer.page import message_page
from bot.web.viewer.ratelimit import RateLimiter

PIN_COOKIE = "mvbot_pin"
# One "link viewed" row per link, camera and address per 10 minutes. The browser is not
# part of it: a link holder rotating User-Agent must not add a row per request.
VIEW_MEMORY = 600.0
# Responses carry a bearer token's worth of access: no cache may keep them, no page they
# link to may learn the URL (Referer), and no other site may frame them.
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "Pragma": "no-cache",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}
GONE = "This link has expired or was revoked. Ask the person who shared it for a new one."
NOT_FOUND = "This link is not valid. Check that it was copied whole."


@dataclass
class ViewLog:
    """Remembers recent views so a player's polling does not flood the access log."""

    clock: Callable[[], float] = time.monotonic
    _seen: dict[tuple[str, ...], float] = field(default_factory=dict)

    def first(self, *key: str) -> bool:
        now = self.clock()
        if len(self._seen) > 10_000:
            self._seen = {k: t for k, t in self._seen.items() if now - t < VIEW_MEMORY}
        last = self._seen.get(key)
        if last is not None and now - last < VIEW_MEMORY:
            return False
        self._seen[key] = now
        return True


@dataclass
class Viewer:
    """What the viewer routes work with, passed in explicitly."""

    shares: ShareService
    streams: StreamHub
    key: bytes  # signs PIN proofs
    limiter: RateLimiter
    views: ViewLog = field(default_factory=ViewLog)


@dataclass(frozen=True)
class Visit:
    """An admitted request: the token's grant and who is asking."""

    token: str
    grant: Grant
    address: str
    user_agent: str
    pin_ok: bool
    proof: str | None  # the PIN proof the request carried, to hand on to media URLs


def refuse(status: int, text: str, headers: dict[str, str] | None = None) -> Response:
    return HTMLResponse(
        message_page(text), status_code=status, headers={**SECURITY_HEADERS, **(headers or {})}
    )


async def admit(viewer: Viewer, request: Request) -> Visit | Response:
    """The visit, or the response that refuses it (429, 404 or 410)."""
    address = request.client.host if request.client else "unknown"
    wait = viewer.limiter.wait(address)
    if wait > 0:
        retry = str(max(1, round(wait)))
        return refuse(429, "Too many requests — wait a moment.", {"Retry-After": retry})
    token = request.path_params["token"]
    grant = await viewer.shares.grant(token)
    if grant is None:
        return refuse(404, NOT_FOUND)
    if not grant.shares:
        return refuse(410, GONE)
    proof = request.cookies.get(PIN_COOKIE) or request.query_params.get("k")
    pin_hash = grant.link.pin_hash
    pin_ok = pin_hash is None or (
        proof is not None and proof_matches(viewer.key, grant.link.token_hash, proof)
    )
    agent = request.headers.get("user-agent", "")
    return Visit(token, grant, address, agent, pin_ok, proof if pin_hash else None)


def camera(visit: Visit, serial: str) -> Share | Response:
    """The share of `serial` this visit may watch, or the refusal: a camera the e-mail had
    but no longer has is gone (410); any other serial is unknown to this token (404)."""
    if not visit.pin_ok:
        return refuse(403, "Enter the PIN on the link's page first.")
    share = visit.grant.share_for(serial)
    if share is not None:
        return share
    if visit.grant.had(serial):
        return refuse(410, GONE)
    return refuse(404, NOT_FOUND)


async def log_view(viewer: Viewer, visit: Visit, share: Share) -> None:
    key = (visit.grant.link.id, share.serial, visit.address)
    if viewer.views.first(*key):
        await viewer.shares.viewed(visit.grant, share, visit.address, visit.user_agent)
