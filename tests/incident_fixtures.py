"""Incident scenarios: the real bot behind a MemoryAdapter, its web server with the incident
timeline, and a simulator whose Warehouse camera carries a hostile name.

    from tests.incident_fixtures import incident_starter_fixture  # noqa: F401
    from tests.share_fixtures import sqlite_database_fixture  # noqa: F401

and then `async with incident_starter() as site:`; `await site.made("incident …")` runs the
command, waits for the incident to be collected and returns the reply that announced it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from adapters.memory import MemoryAdapter
from bot.app import Running, running_bot
from bot.messages import Reply
from bot.telemetry.metrics import Metrics
from bot.web import create_app
from bot.web.server import web_server
from bot.web.timeline import timeline_routes
from bot.web.viewer import RateLimiter
from simulator import SimulatorServer
from simulator.fleet_file import default_fleet
from tests.bot_fixtures import SIMULATOR_SETTINGS, SimulatorFactory, bot_settings

# A camera name a device (the dashboard) wrote: markup, quotes and a script end tag.
HOSTILE_CAMERA = 'Dock </script><img src=x onerror="alert(1)"> & "7"'
WAREHOUSE = "Q2JV-WRHS-0004"
LOBBY = "Q2FV-LBBY-0001"
GARAGE = "Q2GV-GRGE-0002"
ACCESS = {"default_role": "none", "viewers": ["U1", "U2"], "operators": ["U3"]}


@dataclass
class IncidentSite:
    room: MemoryAdapter
    running: Running
    simulator: SimulatorServer
    url: str
    http: httpx.AsyncClient

    async def ask(self, text: str, user: str = "U1", room: str = "R1") -> list[Reply]:
        before = len(self.room.posted)
        await self.running.bot.handle(self.room.message(text, user=user, room=room))
        return [p.reply for p in self.room.posted[before:]]

    async def collected(self, timeout: float = 60) -> None:  # noqa: ASYNC109
        assert await self.running.incidents.jobs.wait_idle(timeout), "the incident never finished"

    async def made(self, text: str) -> Reply:
        """Run an `incident …` command, wait for its job, and return the announcement."""
        before = len(self.room.posted)
        asked = await self.ask(text)
        assert asked and not asked[0].failed, asked
        await self.collected()
        posted = [p.reply for p in self.room.posted[before + len(asked) :]]
        ready = [r for r in posted if any(f.label == "Manifest SHA-256" for f in r.fields)]
        assert len(ready) == 1, posted
        return ready[0]


@pytest.fixture(name="incident_simulator")
def incident_simulator_fixture(simulator_factory: SimulatorFactory) -> SimulatorServer:
    fleet = default_fleet()
    cameras = tuple(
        dataclasses.replace(c, name=HOSTILE_CAMERA) if c.serial == WAREHOUSE else c
        for c in fleet.cameras
    )
    return simulator_factory(
        fleet=dataclasses.replace(fleet, cameras=cameras), **SIMULATOR_SETTINGS
    )


IncidentStarter = Callable[[], AbstractAsyncContextManager[IncidentSite]]


@pytest.fixture(name="incident_starter")
def incident_starter_fixture(
    database_url: str, tmp_path: Path, incident_simulator: SimulatorServer
) -> IncidentStarter:
    """Several starts share one database and data directory, as a restarted process would."""
    data_dir = tmp_path / "data"

    @asynccontextmanager
    async def start() -> AsyncIterator[IncidentSite]:
        settings = bot_settings(incident_simulator, database_url, data_dir, ACCESS)
        room = MemoryAdapter()
        async with running_bot(settings, [room]) as running:
            routes = timeline_routes(running.incidents, RateLimiter(100_000))
            app = create_app(metrics=Metrics(), health=_healthy, routes=routes)
            async with (
                web_server(app, "127.0.0.1", 0) as server,
                httpx.AsyncClient(base_url=server.url, timeout=30) as http,
            ):
                running.incidents.public_url = server.url
                yield IncidentSite(room, running, incident_simulator, server.url, http)

    return start


async def _healthy() -> dict[str, str]:
    return {"store": "ok"}
