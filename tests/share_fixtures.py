"""Share scenarios: the real bot behind a MemoryAdapter plus its web server with the viewer.

A test module imports the fixtures with the database fixture they need:

    from tests.bot_fixtures import bot_simulator_fixture  # noqa: F401
    from tests.db_fixtures import database_url_fixture  # noqa: F401  (every backend)
    from tests.share_fixtures import share_starter_fixture  # noqa: F401

(or `sqlite_database_fixture` from here instead of `database_url_fixture`, for tests
whose subject does not depend on the database backend)

and then `async with share_starter(shares={...}) as shared:`; `shared.link(replies)` is
the link the operator was shown privately, and `shared.http` a client of the web server.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from adapters.memory import MemoryAdapter
from bot.app import Running, running_bot
from bot.config import Settings
from bot.messages import Reply
from bot.telemetry.metrics import Metrics
from bot.web import create_app
from bot.web.server import web_server
from bot.web.viewer import RateLimiter, Viewer, viewer_routes
from simulator import SimulatorServer
from tests.bot_fixtures import bot_settings

OPERATOR = "U1"
OPERATOR_EMAIL = "ops@example.com"
VIEWER = "U2"
ROOM = "R1"
MEMBER = "member@example.com"  # a workspace member the adapter can message directly
SHARE_ACCESS: Mapping[str, Any] = {
    "default_role": "none",
    "operators": [OPERATOR],
    "viewers": [VIEWER],
    "restricted_tags": {"restricted": ["R-secure"]},
}
# Short segments keep scenarios quick; everything else as configured by default.
FAST_SHARES: Mapping[str, Any] = {"segment_length": "1s", "viewer_rate_limit": 100_000}
LINK = re.compile(r"https?://[^\s/]+/s/([A-Za-z0-9_-]{43})")


@dataclass
class SharedBot:
    """A running bot, its room, its web server and an HTTP client of that server."""

    room: MemoryAdapter
    running: Running
    simulator: SimulatorServer
    settings: Settings
    url: str
    http: httpx.AsyncClient
    database: Path | None

    async def ask(self, text: str, user: str = OPERATOR, room: str = ROOM) -> list[Reply]:
        before = len(self.room.posted)
        await self.running.bot.handle(self.room.message(text, user=user, room=room))
        return [p.reply for p in self.room.posted[before:]]

    async def share(self, text: str) -> str:
        """Run a `share …` command and return the token of the link it handed out."""
        return token_in(await self.ask(text))

    def clip_requests(self, serial: str) -> int:
        """How many clip API requests for the camera the simulated cloud has received."""
        path = f"/devices/{serial}/camera/clip"
        return sum(1 for r in self.simulator.state.requests if r.path.endswith(path))

    def serial(self, name: str) -> str:
        return next(c.serial for c in self.simulator.fleet.cameras if c.name == name)


def token_in(replies: list[Reply]) -> str:
    """The token of the link in the (private) replies."""
    for reply in replies:
        for text in (reply.text, *(f.value for f in reply.fields), *(x.url for x in reply.links)):
            if found := LINK.search(text):
                assert reply.private, "a share link was posted where the whole room sees it"
                return found.group(1)
    raise AssertionError(f"no share link in {replies}")


ShareStarter = Callable[..., AbstractAsyncContextManager[SharedBot]]


@pytest.fixture(name="database_url")
def sqlite_database_fixture(tmp_path: Path) -> str:
    """For modules whose subject (the stream, mail) does not depend on the database
    backend: SQLite only, instead of db_fixtures' run on every backend."""
    return f"sqlite:///{tmp_path / 'mvbot.db'}"


@pytest.fixture(name="share_starter")
def share_starter_fixture(
    database_url: str, tmp_path: Path, bot_simulator: SimulatorServer
) -> ShareStarter:
    """`async with share_starter(shares=..., smtp=..., clips=..., trusted_proxies=...) as
    shared:`; several starts share one database and data directory, as a restarted process
    would."""
    data_dir = tmp_path / "data"

    @asynccontextmanager
    async def start(
        shares: Mapping[str, Any] | None = None,
        smtp: Mapping[str, Any] | None = None,
        clips: Mapping[str, Any] | None = None,
        trusted_proxies: Sequence[str] = (),
    ) -> AsyncIterator[SharedBot]:
        base = bot_settings(bot_simulator, database_url, data_dir, SHARE_ACCESS, clips)
        changes: dict[str, Mapping[str, Any]] = {"shares": {**FAST_SHARES, **(shares or {})}}
        if smtp:
            changes["smtp"] = smtp
        settings = base.with_overrides(changes)
        room = MemoryAdapter(members={MEMBER})
        async with running_bot(settings, [room]) as running:
            viewer = Viewer(
                running.shares,
                running.streams,
                running.signing_key,
                RateLimiter(settings.shares.viewer_rate_limit),
            )
            app = create_app(metrics=Metrics(), health=_healthy, routes=viewer_routes(viewer))
            async with (
                web_server(app, "127.0.0.1", 0, trusted_proxies=trusted_proxies) as server,
                httpx.AsyncClient(base_url=server.url, timeout=30) as http,
            ):
                running.shares.public_url = server.url
                sqlite = database_url.removeprefix("sqlite:///")
                database = Path(sqlite) if database_url.startswith("sqlite") else None
                yield SharedBot(room, running, bot_simulator, settings, server.url, http, database)

    return start


async def _healthy() -> dict[str, str]:
    return {"store": "ok"}
