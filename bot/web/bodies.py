"""Bounded request bodies: every request reads at most its route's cap before anything else.

`BodyLimit` is the outermost middleware of mvbot's web app. It reads the body itself,
streamed, chunked or not, stops at the cap of the route the request is for (a
`CappedRoute` declares it; any other route gets `DEFAULT_CAP`) and answers 413 past it,
so no signature check, parser or SDK ever holds more than the cap of an unverified body.
A body within the cap is replayed to the app unchanged. Only the method, the route, the
size read and the reason are logged: never the body.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence

from starlette.routing import BaseRoute, Match, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger(__name__)

# Routes that declare no cap take no real body: a GET, a health check, a file download.
DEFAULT_CAP = 4 * 1024


class CappedRoute(Route):
    """A route that reads a body, with the most it will read (`cap` bytes)."""

    def __init__(
        self,
        path: str,
        endpoint: Callable[..., Awaitable[object]],
        *,
        cap: int,
        methods: Sequence[str] = ("POST",),
    ) -> None:
        super().__init__(path, endpoint, methods=list(methods))
        self.cap = cap


class BodyTooLarge(Exception):
    """The body is larger than the route's cap; `size` is how much was seen or declared."""

    def __init__(self, size: int) -> None:
        super().__init__(size)
        self.size = size


class BodyLimit:
    """ASGI middleware: read at most the cap of the request's route, 413 past it."""

    def __init__(self, app: ASGIApp, routes: Sequence[BaseRoute]) -> None:
        self._app = app
        self._routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        cap, route = self._cap(scope)
        try:
            body = await read_bounded(scope, receive, cap)
        except BodyTooLarge as error:
            log.warning(
                "request refused method=%s route=%s size=%d why=body over %d bytes",
                scope["method"],
                route,
                error.size,
                cap,
            )
            await _too_large(send, cap)
            return
        await self._app(scope, _replay(body, receive), send)

    def _cap(self, scope: Scope) -> tuple[int, str]:
        for route in self._routes:
            match, _ = route.matches(scope)
            if match is Match.FULL and isinstance(route, CappedRoute):
                return route.cap, route.path
        return DEFAULT_CAP, "-"


async def read_bounded(scope: Scope, receive: Receive, cap: int) -> bytes:
    """The whole body, or BodyTooLarge as soon as it passes `cap` (a declared
    Content-Length past the cap is refused before a byte is read)."""
    for name, value in scope["headers"]:
        if name == b"content-length":
            declared = value.strip()
            if not declared.isdigit():
                raise BodyTooLarge(0)  # not a length: uvicorn refuses these before us anyway
            if int(declared) > cap:
                raise BodyTooLarge(int(declared))
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break  # the client left: the app sees an empty body and the disconnect
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > cap:
            raise BodyTooLarge(size)
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A receive that hands the app the body read so far, then what the client does next."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def _too_large(send: Send, cap: int) -> None:
    text = f"The request body is larger than this route accepts ({cap} bytes).\n".encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            # The rest of the body is not read: the connection cannot carry another request.
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(text)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": text})
