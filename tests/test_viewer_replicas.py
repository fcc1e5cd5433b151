"""Any replica serves any share: on one PostgreSQL database and one data directory, one replica
at a time fetches a camera's near-live stream (a lease), and every replica lists and serves
its segments, so viewers spread over replicas cost the cloud what one viewer costs."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from adapters.memory import MemoryAdapter
from bot.app import Running, running_bot
from bot.config import Settings
from bot.run import file_links, web_app
from bot.shares.streams import MARGIN
from bot.web.server import web_server
from simulator import SimulatorServer
from tests.bot_fixtures import bot_settings, bot_simulator_fixture  # noqa: F401
from tests.bot_process import mvbot_run
from tests.db_fixtures import database_url_fixture  # noqa: F401
from tests.share_fixtures import FAST_SHARES, MEMBER, SHARE_ACCESS, token_in
from tests.test_viewer_hls import SEGMENT, Player

pytestmark = pytest.mark.long  # minutes in all: started first (tests/conftest.py)

LEASE = 3.0  # seconds: a stopped holder is replaced after this long
LAG = 3.0  # the simulated cloud's availability lag (tests/bot_fixtures.py)


@dataclass
class Replica:
    """One in-process mvbot replica with its web server."""

    name: str
    room: MemoryAdapter
    running: Running
    url: str


@asynccontextmanager
async def replica(settings: Settings, name: str) -> AsyncIterator[Replica]:
    mine = settings.with_overrides({"replica": {"id": name}})
    room = MemoryAdapter(members={MEMBER})
    async with running_bot(mine, [room]) as running:
        app = web_app(mine, running, file_links(mine, running.signing_key), [])
        async with web_server(app, "127.0.0.1", 0) as server:
            running.shares.public_url = server.url
            yield Replica(name, room, running, server.url)


def shared_settings(sim: SimulatorServer, database_url: str, data: Path) -> Settings:
    if not database_url.startswith("postgresql"):
        pytest.skip("replicas share PostgreSQL; SQLite serves one process")
    shares = {**FAST_SHARES, "stream_lease": f"{LEASE:g}s"}
    return bot_settings(sim, database_url, data, SHARE_ACCESS).with_overrides({"shares": shares})


async def share(first: Replica, camera: str) -> str:
    replies = await first.room.ask(f"share {camera} with guest@example.com", user="U1")
    return token_in(replies)


class Rotating(httpx.AsyncBaseTransport):
    """A load balancer without affinity: each request goes to the next replica."""

    def __init__(self, urls: Sequence[str]) -> None:
        self._next = itertools.cycle([httpx.URL(u) for u in urls])
        self._inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        target = next(self._next)
        request.url = request.url.copy_with(host=target.host, port=target.port)
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


def clip_requests(sim: SimulatorServer, serial: str) -> int:
    return sum(1 for r in sim.state.requests if r.path.endswith(f"/devices/{serial}/camera/clip"))


async def all_stopped(replicas: Sequence[Replica], serial: str) -> None:
    for each in replicas:
        await each.running.streams.stopped(serial)


async def watch(
    sim: SimulatorServer,
    replicas: Sequence[Replica],
    clients: Sequence[httpx.AsyncClient],
    path: str,
    seconds: float,
) -> tuple[int, list[Player]]:
    """Upstream clip requests while `clients` (one player each) watched, until every
    replica's stream stopped."""
    serial = path.rsplit("/", 1)[1].removesuffix(".m3u8")
    await all_stopped(replicas, serial)
    # Every round starts at the same point of the segment clock (as test_viewer_hls does).
    await asyncio.sleep((LAG + MARGIN + 0.1 - time.time()) % SEGMENT)
    before = clip_requests(sim, serial)
    players = [Player(client, path) for client in clients]
    await asyncio.gather(*(p.play(seconds) for p in players))
    await all_stopped(replicas, serial)
    return clip_requests(sim, serial) - before, players


async def test_ten_players_on_three_replicas_cost_what_one_player_costs(
    database_url: str, tmp_path: Path, bot_simulator: SimulatorServer
) -> None:
    settings = shared_settings(bot_simulator, database_url, tmp_path / "shared")
    async with AsyncExitStack() as stack:
        replicas = [await stack.enter_async_context(replica(settings, n)) for n in "abc"]
        token = await share(replicas[0], "warehouse")
        serial = next(c.serial for c in bot_simulator.fleet.cameras if c.name == "Warehouse")
        path = f"/s/{token}/{serial}.m3u8"
        urls = [r.url for r in replicas]
        one = await stack.enter_async_context(httpx.AsyncClient(base_url=urls[1], timeout=30))
        alone, _ = await watch(bot_simulator, replicas, [one], path, seconds=6)
        # Nine players each kept on one replica, three per replica, and one whose every
        # request a load balancer sends to the next replica.
        clients = [
            await stack.enter_async_context(httpx.AsyncClient(base_url=urls[i % 3], timeout=30))
            for i in range(9)
        ]
        rotating = httpx.AsyncClient(base_url=urls[0], transport=Rotating(urls), timeout=30)
        clients.append(await stack.enter_async_context(rotating))
        crowd, players = await watch(bot_simulator, replicas, clients, path, seconds=6)
    assert alone >= 6
    assert abs(crowd - alone) <= 1, (alone, crowd)
    for player in players:
        numbers = sorted(player.segments)
        assert len(numbers) >= 5 and numbers == list(range(numbers[0], numbers[-1] + 1))
    # The rotating player's segments came from three replicas and still follow each other.
    assert len(players[-1].playlists) >= 6


async def test_a_stopped_holder_hands_the_stream_to_a_replica_still_watched(
    database_url: str, tmp_path: Path, bot_simulator: SimulatorServer
) -> None:
    settings = shared_settings(bot_simulator, database_url, tmp_path / "shared")
    async with AsyncExitStack() as stack:
        b = await stack.enter_async_context(replica(settings, "b"))
        async with replica(settings, "a") as a:
            token = await share(a, "lobby")
            serial = next(c.serial for c in bot_simulator.fleet.cameras if c.name == "Lobby")
            path = f"/s/{token}/{serial}.m3u8"
            on_a = await stack.enter_async_context(httpx.AsyncClient(base_url=a.url, timeout=30))
            await Player(on_a, path).play(1.5)  # a fetches: its viewer came first
            assert a.running.streams.holding(serial)
            on_b = await stack.enter_async_context(httpx.AsyncClient(base_url=b.url, timeout=30))
            watcher = Player(on_b, path)
            await watcher.play(2)
            assert not b.running.streams.holding(serial)
            before = sorted(watcher.segments)
        # a stopped (its lease given back at once): b carries on from a's last segment.
        await watcher.play(4)
        assert b.running.streams.holding(serial)
    numbers = sorted(watcher.segments)
    assert numbers[-1] >= before[-1] + 3
    assert numbers == list(range(numbers[0], numbers[-1] + 1))


async def test_a_killed_holder_is_replaced_once_its_lease_lapses(
    database_url: str, tmp_path: Path, bot_simulator: SimulatorServer
) -> None:
    data = tmp_path / "shared"
    settings = shared_settings(bot_simulator, database_url, data)
    config = tmp_path / "mvbot.toml"
    config.write_text(
        f'[clips]\navailability_lag = "{LAG:g}s"\n[shares]\nsegment_length = "{SEGMENT:g}s"\n'
        f'stream_lease = "{LEASE:g}s"\nviewer_rate_limit = 100000\n'
    )
    env = {
        "MVBOT_MERAKI_API_KEY": settings.meraki.api_key.get_secret_value(),  # type: ignore[union-attr]
        "MVBOT_MERAKI_BASE_URL": bot_simulator.api_url,
        "MVBOT_DATABASE_URL": database_url,
        "MVBOT_DATA_DIR": str(data),
        "MVBOT_REPLICA_ID": "killed",
        "MVBOT_CONFIG": str(config),
    }
    async with replica(settings, "survivor") as survivor, mvbot_run(env) as doomed:
        token = await share(survivor, "lobby")
        serial = next(c.serial for c in bot_simulator.fleet.cameras if c.name == "Lobby")
        path = f"/s/{token}/{serial}.m3u8"
        async with (
            httpx.AsyncClient(base_url=doomed.url, timeout=30) as on_doomed,
            httpx.AsyncClient(base_url=survivor.url, timeout=30) as on_survivor,
        ):
            await Player(on_doomed, path).play(1.5)  # the process fetches: its viewer came first
            watcher = Player(on_survivor, path)
            await watcher.play(2)
            assert not survivor.running.streams.holding(serial)
            doomed.process.kill()  # no hand-over: the lease has to lapse
            await doomed.process.wait()
            killed_at = max(watcher.segments)
            await watcher.play(LEASE + 5)
        assert survivor.running.streams.holding(serial)
    after = [n for n in watcher.segments if n > killed_at]
    assert len(after) >= 3, sorted(watcher.segments)
