"""The webhook routes: /hooks/meraki (secret in the body) and /hooks/events (HMAC header).

Authentication comes first and is compared in constant time; a request that fails it is
answered 401 and leaves nothing behind. A body that is not JSON is 400. The answer is
sent only after the event is stored (bot.events.hook_intake).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from pydantic import SecretStr
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.events.hook_fields import InvalidEvent, json_object
from bot.events.hook_intake import Answer, EventIntake
from bot.meraki import MerakiError
from bot.telemetry.metrics import Metrics
from bot.web.bodies import CappedRoute

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Mvbot-Signature"
MAX_BODY = 256 * 1024  # bytes: events are small; BodyLimit refuses anything larger unread


def sign(body: bytes, secret: str) -> str:
    """The signature header value a sender puts on `body`: 'sha256=<hex>'."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signature_valid(body: bytes, header: str | None, secret: str) -> bool:
    if not header:
        return False
    given = "sha256=" + header.strip().removeprefix("sha256=").lower()
    return hmac.compare_digest(given.encode(), sign(body, secret).encode())


def shared_secret_valid(data: Mapping[str, Any], secret: str) -> bool:
    given = data.get("sharedSecret")
    return isinstance(given, str) and hmac.compare_digest(given.encode(), secret.encode())


Intake = Callable[[Mapping[str, Any], bytes], Awaitable[Answer]]


def hook_routes(intake: EventIntake, secret: SecretStr, metrics: Metrics) -> list[Route]:
    """/hooks/meraki and /hooks/events, both checked against `secret`."""
    key = secret.get_secret_value()

    async def meraki(request: Request) -> Response:
        body = await request.body()  # at most MAX_BODY: BodyLimit (bot.web.bodies) read it
        data = json_object(body)
        if isinstance(data, str):
            return _answer(metrics, "meraki", 400, data)
        if not shared_secret_valid(data, key):
            return _answer(metrics, "meraki", 401, "wrong or missing sharedSecret")
        return await _accept(metrics, "meraki", intake.meraki, data, body)

    async def events(request: Request) -> Response:
        body = await request.body()  # at most MAX_BODY: BodyLimit (bot.web.bodies) read it
        if not signature_valid(body, request.headers.get(SIGNATURE_HEADER), key):
            return _answer(metrics, "events", 401, f"wrong or missing {SIGNATURE_HEADER}")
        data = json_object(body)
        if isinstance(data, str):
            return _answer(metrics, "events", 400, data)
        return await _accept(metrics, "events", intake.generic, data, body)

    return [
        CappedRoute("/hooks/meraki", meraki, cap=MAX_BODY),
        CappedRoute("/hooks/events", events, cap=MAX_BODY),
    ]


async def _accept(
    metrics: Metrics, hook: str, handle: Intake, data: Mapping[str, Any], body: bytes
) -> Response:
    try:
        answer = await handle(data, body)
    except InvalidEvent as error:
        return _answer(metrics, hook, 400, str(error))
    except MerakiError as error:
        # Nothing was stored: the sender should try again a little later.
        log.warning("hook refused for now: camera directory unavailable error=%r", error)
        response = _answer(metrics, hook, 503, "the camera directory is unavailable; retry")
        response.headers["Retry-After"] = "30"
        return response
    metrics.inc("mvbot_hook_requests_total", hook=hook, status=str(answer.status))
    return JSONResponse(answer.body, answer.status)


def _answer(metrics: Metrics, hook: str, status: int, error: str) -> JSONResponse:
    metrics.inc("mvbot_hook_requests_total", hook=hook, status=str(status))
    if status == 401:
        log.warning("hook request refused hook=%s why=%s", hook, error)
    return JSONResponse({"error": error}, status)
