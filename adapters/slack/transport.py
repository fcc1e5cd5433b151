"""How Slack reaches the bot: POSTs to /slack/events on mvbot's web server, or Socket Mode.

Signature checking is bolt's request-verification middleware, the first thing that runs
for every HTTP request (AsyncApp is built with the signing secret): a bad signature or a
timestamp more than five minutes off is answered 401 before any listener sees it.
"""

from __future__ import annotations

import asyncio
import logging

from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncApp
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from adapters.slack.manifest import EVENTS_PATH

log = logging.getLogger(__name__)

# Slack's payloads are a few kB; anything far larger is not from Slack.
MAX_BODY = 1 << 20


def http_routes(app: AsyncApp) -> list[BaseRoute]:
    handler = AsyncSlackRequestHandler(app)

    async def events(request: Request) -> Response:
        declared = request.headers.get("content-length", "0")
        if not declared.isdigit() or int(declared) > MAX_BODY:
            return PlainTextResponse("Request too large.", status_code=413)
        return await handler.handle(request)

    return [Route(EVENTS_PATH, events, methods=["POST"])]


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
