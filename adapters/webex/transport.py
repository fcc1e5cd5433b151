"""The `/webex/events` route: verify the delivery's signature first, answer at once, work later.

Webex signs each delivery with `X-Spark-Signature`, the hex HMAC-SHA1 of the raw body
keyed with the webhook secret. `signed` checks it, in constant time, before anything
else reads the body; a missing or wrong signature gets 401 and nothing more happens.
A verified delivery is handed to `accept`, which stores it and schedules the work, and is
answered 200 once it is stored, so a slow clip never makes Webex retry or disable the
webhook and a crash right after the answer loses nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.telemetry.latency import acknowledged
from bot.telemetry.metrics import Metrics
from bot.web.bodies import CappedRoute

log = logging.getLogger(__name__)

PATH = "/webex/events"
SIGNATURE_HEADER = "X-Spark-Signature"
MAX_BODY = 256 * 1024  # Webex deliveries are a few hundred bytes: ids, not content

Endpoint = Callable[[Request], Awaitable[Response]]
VerifiedHandler = Callable[[Request, bytes], Awaitable[Response]]


def signature(body: bytes, secret: bytes) -> str:
    return hmac.new(secret, body, hashlib.sha1).hexdigest()


def valid_signature(body: bytes, header: str | None, secret: bytes) -> bool:
    if not header:
        return False
    expected = signature(body, secret).encode()
    # Bytes, not str: compare_digest refuses non-ASCII text, and a header may hold any.
    return hmac.compare_digest(expected, header.strip().lower().encode("latin-1", "replace"))


def signed(secret: bytes, handler: VerifiedHandler) -> Endpoint:
    """An endpoint that runs `handler(request, body)` only for a correctly signed body."""

    async def endpoint(request: Request) -> Response:
        body = await request.body()  # bounded: the route's cap is MAX_BODY (bot.web.bodies)
        if not valid_signature(body, request.headers.get(SIGNATURE_HEADER), secret):
            log.warning(
                "webex request refused method=%s route=%s size=%d why=bad or missing %s",
                request.method,
                PATH,
                len(body),
                SIGNATURE_HEADER,
            )
            return Response(status_code=401)
        return await handler(request, body)

    return endpoint


def events_route(
    secret: bytes,
    accept: Callable[[Mapping[str, Any]], Awaitable[bool]],
    metrics: Metrics | None = None,
) -> Route:
    """The route; `accept(delivery)` stores the work and says whether the bot took it.
    With `metrics`, each delivery taken is timed from its arrival to its 200."""

    async def delivery(request: Request, body: bytes) -> Response:
        try:
            payload = json.loads(body)
        except ValueError:
            return Response(status_code=400)
        if not isinstance(payload, dict):
            return Response(status_code=400)
        if not await accept(payload):
            return Response(status_code=503)  # not started or not stored: Webex retries
        return Response(status_code=200)

    endpoint = signed(secret, delivery)

    async def timed(request: Request) -> Response:
        started = time.perf_counter()
        response = await endpoint(request)
        if metrics is not None and response.status_code == 200:
            acknowledged(metrics, "webex", time.perf_counter() - started)
        return response

    return CappedRoute(PATH, timed, cap=MAX_BODY)
