"""How Slack reaches the bot: POSTs to /slack/events on mvbot's web server, or Socket Mode.

The route checks the request itself before bolt sees it: the body is already bounded by
mvbot's web app (bot.web.bodies, `MAX_BODY`), then the timestamp must be a number within
five minutes and `X-Slack-Signature` the HMAC-SHA256 of `v0:<timestamp>:<body>`. Anything
else is answered 401 (or 400 for a body that is not UTF-8) with a one-line reason and
logged as method, route, size and reason, never the body: bolt's own verification, which
runs again on the accepted request, would log an unverified body at INFO.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import time
import urllib.parse
from collections.abc import Callable

from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncApp
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute

from adapters.slack.manifest import EVENTS_PATH
from bot.telemetry.latency import acknowledged
from bot.telemetry.metrics import Metrics
from bot.web.bodies import CappedRoute

log = logging.getLogger(__name__)

# Slack's payloads are a few kB; anything far larger is not from Slack.
MAX_BODY = 1 << 20
# Slack refuses requests older than this; so do we (slack_sdk's SignatureVerifier too).
MAX_SKEW = 5 * 60


def request_problem(
    body: bytes,
    timestamp: str | None,
    signature: str | None,
    secret: str,
    now: Callable[[], float] = time.time,
) -> str | None:
    """Why a request did not come from Slack, in a few words; None if it did."""
    if not timestamp or not timestamp.isascii() or not timestamp.isdigit() or len(timestamp) > 12:
        return "X-Slack-Request-Timestamp is missing or not a number"
    if abs(now() - int(timestamp)) > MAX_SKEW:
        return "X-Slack-Request-Timestamp is more than five minutes off"
    if not signature:
        return "X-Slack-Signature is missing"
    base = b"v0:" + timestamp.encode() + b":" + body
    expected = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    # Bytes, not str: compare_digest refuses non-ASCII text, and a header may hold any.
    if not hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace")):
        return "X-Slack-Signature does not match"
    return None


def is_slash_command(body: bytes) -> bool:
    """Whether a verified body is a slash command (a form with `command`), not an event
    (JSON) or a button press (a form with `payload`)."""
    if not body.startswith(b"{") and b"command=" in body:
        return "command" in urllib.parse.parse_qs(body.decode())
    return False


def http_routes(
    app: AsyncApp, signing_secret: str, metrics: Metrics | None = None
) -> list[BaseRoute]:
    """/slack/events; with `metrics`, each slash command's time to its answer is measured."""
    handler = AsyncSlackRequestHandler(app)

    async def events(request: Request) -> Response:
        started = time.perf_counter()
        body = await request.body()  # bounded: the route's cap is MAX_BODY
        problem = request_problem(
            body,
            request.headers.get("x-slack-request-timestamp"),
            request.headers.get("x-slack-signature"),
            signing_secret,
        )
        status = 401
        if problem is None:
            try:
                body.decode("utf-8")
            except UnicodeDecodeError:
                problem, status = "the body is not UTF-8", 400
        if problem is not None:
            log.warning(
                "slack request refused method=%s route=%s size=%d why=%s",
                request.method,
                EVENTS_PATH,
                len(body),
                problem,
            )
            return PlainTextResponse(problem + "\n", status_code=status)
        response = await handler.handle(request)
        if metrics is not None and is_slash_command(body):
            acknowledged(metrics, "slack", time.perf_counter() - started)
        return response

    return [CappedRoute(EVENTS_PATH, events, cap=MAX_BODY)]


class SocketMode:
    """A WebSocket the bot opens to Slack (app-level token): no public URL needed."""

    def __init__(self, app: AsyncApp, app_token: str) -> None:
        self._app = app
        self._app_token = app_token
        self._handler: AsyncSocketModeHandler | None = None

    async def open(self) -> None:
        # Built here, not in __init__: the client starts tasks on the running loop.
        self._handler = AsyncSocketModeHandler(self._app, self._app_token)
        await self._handler.connect_async()  # type: ignore[no-untyped-call]
        log.info("slack socket mode connected")

    async def close(self) -> None:
        if self._handler is None:
            return
        handler, self._handler = self._handler, None
        await handler.close_async()  # type: ignore[no-untyped-call]
        # close_async cancels the client's tasks without waiting: let them finish here.
        await asyncio.sleep(0)
