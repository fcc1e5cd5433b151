"""What every /api/v1 request meets before its route: key, rate limit, faults and the log."""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import re
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from simulator.config import SimulatorConfig
from simulator.state import RequestRecord, SimulatorState

API_PREFIX = "/api/v1"
# The official SDK trusts absolute `Link` URLs only on *.meraki.com; elsewhere it
# prefixes its base URL, asking for "/api/v1http://host:port/api/v1/...".
_SDK_JOINED = re.compile(r"^/api/v1https?:/+[^/]+(/api/v1(?:/.*)?)$")
_UNFINISHED = "ASGI callable returned without completing response."


class DropNoiseFilter(logging.Filter):
    """Silences uvicorn's complaint about each connection a fault dropped on purpose."""

    def __init__(self) -> None:
        super().__init__()
        self.expected = 0

    def filter(self, record: logging.LogRecord) -> bool:
        if self.expected > 0 and record.getMessage() == _UNFINISHED:
            self.expected -= 1
            return False
        return True


class ApiGate:
    """ASGI middleware: authenticate, rate-limit, inject faults and log Dashboard API calls."""

    def __init__(
        self,
        app: ASGIApp,
        cfg: SimulatorConfig,
        org_id: str,
        state: SimulatorState,
        drops: DropNoiseFilter,
    ) -> None:
        self.app, self.cfg, self.org_id, self.state, self.drops = app, cfg, org_id, state, drops

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(API_PREFIX):
            await self.app(scope, receive, send)
            return
        joined = _SDK_JOINED.match(scope["path"])
        if joined:
            scope = {**scope, "path": joined.group(1), "raw_path": joined.group(1).encode()}
        admitted = time.time()
        method, path = scope["method"], scope["path"]

        # Every request is logged before its answer is complete, so a client that has its
        # answer can count on finding the request in the log.
        def log(status: int, org_id: str | None) -> None:
            self.state.record(RequestRecord(admitted, method, path, status, org_id))

        if not self._authorized(scope):
            log(401, None)
            await _send_json(send, 401, {"errors": ["Invalid API key"]})
            return
        retry_after = self.state.rate.admit(self.org_id, admitted)
        if retry_after is not None:
            body = {"errors": ["API rate limit exceeded for organization"]}
            log(429, self.org_id)
            await _send_json(send, 429, body, [(b"retry-after", str(retry_after).encode())])
            return
        faults = self.state.faults
        if faults.latency > 0:
            held = RequestRecord(admitted, method, path, 0, self.org_id)
            self.state.delay(held)
            try:
                await asyncio.sleep(faults.latency)
            finally:
                self.state.undelay(held)
        if faults.error_rate > 0 and self.state.draw() < faults.error_rate:
            status = 500 if self.state.draw() < 0.5 else 503
            log(status, self.org_id)
            await _send_json(send, status, {"errors": ["Internal server error (simulated fault)"]})
            return
        if faults.drop_rate > 0 and self.state.draw() < faults.drop_rate:
            log(0, self.org_id)
            await self._drop(send)
            return
        status, logged = 500, False

        async def send_and_watch(message: Message) -> None:
            nonlocal status, logged
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body" and not message.get("more_body"):
                logged = True
                log(status, self.org_id)
            await send(message)

        try:
            await self.app(scope, receive, send_and_watch)
        finally:
            if not logged:
                log(status, self.org_id)

    def _authorized(self, scope: Scope) -> bool:
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        offered = headers.get("x-cisco-meraki-api-key", "")
        auth = headers.get("authorization", "")
        if auth[:7].lower() == "bearer ":
            offered = auth[7:].strip()
        return bool(offered) and hmac.compare_digest(offered.encode(), self.cfg.api_key.encode())

    async def _drop(self, send: Send) -> None:
        """Promise a body, send part of it, and return: uvicorn then closes the connection."""
        headers = [(b"content-type", b"application/json"), (b"content-length", b"4096")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b'[{"serial": "Q2', "more_body": True})
        self.drops.expected += 1


async def _send_json(
    send: Send, status: int, body: Any, extra: list[tuple[bytes, bytes]] | None = None
) -> None:
    payload = json.dumps(body).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(payload)).encode()),
    ]
    await send(
        {"type": "http.response.start", "status": status, "headers": headers + (extra or [])}
    )
    await send({"type": "http.response.body", "body": payload})
