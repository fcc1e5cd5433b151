"""Run the web app with uvicorn inside the bot's event loop, on a socket bound up front."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

import uvicorn
from starlette.applications import Starlette


@dataclass
class WebServer:
    url: str  # where this process listens, e.g. http://127.0.0.1:8080
    task: asyncio.Task[None]  # ends only if uvicorn fails


class _EmbeddedServer(uvicorn.Server):
    """uvicorn without its own signal handling: the process owner decides when to stop."""

    def capture_signals(self) -> contextlib.AbstractContextManager[None]:  # type: ignore[override]
        return contextlib.nullcontext()


@contextlib.asynccontextmanager
async def web_server(
    app: Starlette, host: str, port: int, *, trusted_proxies: Sequence[str] = ()
) -> AsyncIterator[WebServer]:
    """Serve `app` until the block ends (port 0 picks a free port).

    The socket listens before uvicorn starts, so a request made at once waits in the
    backlog instead of being refused: callers need not poll for readiness.
    X-Forwarded-For is believed only from `trusted_proxies` (default: from no one, not
    even loopback, so a process beside mvbot cannot pose as another client).
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    config = uvicorn.Config(
        app,
        log_config=None,
        access_log=False,
        lifespan="off",
        proxy_headers=bool(trusted_proxies),
        forwarded_allow_ips=list(trusted_proxies),
    )
    server = _EmbeddedServer(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    shown = f"[{host}]" if family == socket.AF_INET6 else host
    try:
        yield WebServer(f"http://{shown}:{sock.getsockname()[1]}", task)
    finally:
        server.should_exit = True
        await task
        sock.close()
