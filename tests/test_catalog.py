"""The camera catalog serves a stale directory at once and refreshes it behind the scenes."""

import asyncio
from typing import Any

from bot.cameras.catalog import CameraCatalog
from bot.meraki import Priority
from bot.meraki.models import Availability, Device, Network, SenseSettings


class FakeClient:
    def __init__(self) -> None:
        self.loads: list[Priority] = []
        self.name = "Lobby"
        self.release = asyncio.Event()
        self.release.set()

    async def networks(self, *, priority: Priority) -> list[Network]:
        self.loads.append(priority)
        await self.release.wait()
        return [Network("N1", "HQ", "America/New_York")]

    async def cameras(self, *, priority: Priority) -> list[Device]:
        return [Device("Q2XX-0001", self.name, "MV12", "N1")]

    async def availabilities(self, *, priority: Priority) -> list[Availability]:
        return [Availability("Q2XX-0001", self.name, "online", "N1")]

    async def sense_settings(self, serial: str, *, priority: Priority) -> SenseSettings:
        return SenseSettings(sense_enabled=False, mqtt_broker_id=None)


async def test_first_load_is_interactive_then_stale_refresh_runs_in_the_background() -> None:
    client = FakeClient()
    catalog = CameraCatalog(client, max_age=0.0, min_refresh=3600.0)  # type: ignore[arg-type]
    first = await catalog.directory()
    assert client.loads == [Priority.INTERACTIVE]
    assert [r.name for r in first] == ["Lobby"]

    client.name, client.release = "Lobby East", asyncio.Event()
    stale = await catalog.directory()  # stale: answered at once with what it has
    assert [r.name for r in stale] == ["Lobby"]
    client.release.set()
    refresh: Any = catalog._refresh
    await refresh
    assert client.loads == [Priority.INTERACTIVE, Priority.BACKGROUND]
    assert [r.name for r in await catalog.directory()] == ["Lobby East"]
    await catalog.close()
