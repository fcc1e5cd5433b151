"""MerakiClient against the simulator over a real socket: clips, errors, faults, bursts."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import av
import httpx
import pytest

from bot.meraki import (
    CameraOffline,
    Device,
    InvalidRequest,
    MediaExpired,
    MerakiClient,
    NotFound,
    OutsideRetention,
    Priority,
    RateLimited,
    TimeRange,
    TooRecent,
    Unauthorized,
)
from simulator import Faults, SimulatorServer
from simulator.media import decode_stripe

Factory = Callable[..., SimulatorServer]


def utc_now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
async def meraki(simulator: SimulatorServer) -> AsyncIterator[MerakiClient]:
    async with MerakiClient("demo-key", simulator.api_url) as client:
        yield client


async def camera_named(client: MerakiClient, name: str) -> Device:
    return next(c for c in await client.cameras() if c.name == name)


def inspect_clip(path: Path) -> tuple[str, float, int, int]:
    """(container format, duration in s, first frame's stripe ms, last frame's stripe ms)."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        frames = [(frame.pts, frame) for frame in container.decode(stream)]
        (first_pts, first), (last_pts, last) = frames[0], frames[-1]
        assert first_pts is not None and last_pts is not None
        assert stream.average_rate is not None and stream.time_base is not None
        frame_time = 1 / float(stream.average_rate)
        duration = float((last_pts - first_pts) * stream.time_base) + frame_time
        return (
            container.format.name,
            duration,
            decode_stripe(first.to_ndarray(format="rgb24")),
            decode_stripe(last.to_ndarray(format="rgb24")),
        )


async def test_finds_the_org_and_its_cameras(
    meraki: MerakiClient, simulator: SimulatorServer
) -> None:
    cameras = {camera.name: camera for camera in await meraki.cameras()}
    assert {
        "Lobby",
        "Garage Entrance",
        "Warehouse",
        "Loading Dock",
        "Parking Lot",
        "Server Room",
    } <= set(cameras)
    assert await meraki.organization_id() == simulator.org_id
    offline = {a.name for a in await meraki.availabilities() if not a.online}
    assert "Loading Dock" in offline
    zones = {n.id: n.time_zone for n in await meraki.networks()}
    assert zones[cameras["Lobby"].network_id or ""] == "America/New_York"


async def test_a_two_minute_clip_is_mpegts_covering_exactly_the_span(
    meraki: MerakiClient, tmp_path: Path
) -> None:
    lobby = await camera_named(meraki, "Lobby")
    end = utc_now() - timedelta(seconds=30)
    start = end - timedelta(minutes=2)
    path = await meraki.download_clip(lobby.serial, start, end, tmp_path / "lobby.ts")
    fmt, duration, first_ms, last_ms = await asyncio.to_thread(inspect_clip, path)
    assert fmt == "mpegts"
    assert duration == pytest.approx(120, abs=0.5)
    start_ms = int(start.timestamp() * 1000)
    end_ms = int(end.timestamp() * 1000)
    assert first_ms == start_ms
    frame_ms = 1000 / 5  # the simulator's default 5 fps
    assert end_ms - frame_ms - 1 <= last_ms < end_ms
    assert await asyncio.to_thread(os.listdir, tmp_path) == ["lobby.ts"]


async def test_a_snapshot_is_fetched_although_it_404s_at_first(
    meraki: MerakiClient, tmp_path: Path
) -> None:
    lobby = await camera_named(meraki, "Lobby")
    path = await meraki.download_snapshot(lobby.serial, tmp_path / "lobby.jpg")
    assert path.read_bytes()[:2] == b"\xff\xd8"


async def test_every_error_status_maps_to_its_typed_error(
    meraki: MerakiClient, simulator: SimulatorServer
) -> None:
    cameras = {c.name: c.serial for c in await meraki.cameras()}
    now = utc_now()
    ago = now - timedelta(minutes=5)

    async def clip(serial: str, start: datetime, end: datetime) -> Any:
        return await meraki.clip_link(serial, start, end)

    with pytest.raises(InvalidRequest, match="at most 5 minutes"):
        await clip(cameras["Lobby"], ago - timedelta(minutes=6), ago)
    with pytest.raises(NotFound):
        await clip("Q2ZZ-NONE-9999", ago, ago + timedelta(seconds=10))
    with pytest.raises(OutsideRetention):
        await clip(
            cameras["Server Room"], now - timedelta(days=30), now - timedelta(days=30, seconds=-10)
        )
    with pytest.raises(TooRecent):
        await clip(cameras["Lobby"], now - timedelta(seconds=2), now)
    with pytest.raises(CameraOffline):
        start = now - timedelta(hours=47, minutes=45)
        await clip(cameras["Garage Entrance"], start, start + timedelta(seconds=30))
    async with MerakiClient("wrong-key", simulator.api_url, org_id=simulator.org_id) as stranger:
        with pytest.raises(Unauthorized) as refused:
            await stranger.cameras()
    assert "wrong-key" not in str(refused.value) + repr(refused.value)


async def test_a_429_beyond_the_wait_budget_is_rate_limited(simulator_factory: Factory) -> None:
    sim = simulator_factory(rate=1.0)
    async with MerakiClient("demo-key", sim.api_url, rate=1.0) as polite:
        serials = [c.serial for c in await polite.cameras()]
    async with MerakiClient("demo-key", sim.api_url, rate=50.0, rate_limit_wait=0.5) as greedy:
        results = await asyncio.gather(
            *(greedy.video_settings(serial) for serial in serials), return_exceptions=True
        )
    assert any(isinstance(r, RateLimited) for r in results)
    assert all(isinstance(r, RateLimited) or not isinstance(r, BaseException) for r in results)


async def test_server_faults_drops_and_latency_are_retried_to_success(
    simulator_factory: Factory,
) -> None:
    sim = simulator_factory(
        rate=50.0, faults=Faults(error_rate=0.3, drop_rate=0.2, latency=0.02, seed=7)
    )
    async with MerakiClient(
        "demo-key", sim.api_url, rate=50.0, max_attempts=12, backoff_base=0.05
    ) as client:
        serials = [c.serial for c in await client.cameras()]
        settings = await asyncio.gather(*(client.video_settings(s) for s in serials * 3))
    assert len(settings) == len(serials) * 3
    statuses = [r.status for r in sim.state.requests]
    assert {500, 503} & set(statuses), "the simulator injected no server errors"
    assert 0 in statuses, "the simulator dropped no connections"


async def test_an_expired_media_url_is_refreshed_once(
    simulator_factory: Factory, tmp_path: Path
) -> None:
    skew = [0.0]
    sim = simulator_factory(url_ttl=60.0, clock=lambda: __import__("time").time() + skew[0])

    async def age_links(response: httpx.Response) -> None:
        # Every clip link is already past its lifetime by the time we fetch it, once.
        if response.url.path.endswith("/camera/clip") and skew[0] == 0.0:
            skew[0] = 61.0

    async with httpx.AsyncClient(event_hooks={"response": [age_links]}) as http:
        client = MerakiClient("demo-key", sim.api_url, http=http)
        lobby = await camera_named(client, "Lobby")
        end = utc_now() - timedelta(seconds=90)
        path = await client.download_clip(
            lobby.serial, end - timedelta(seconds=5), end, tmp_path / "c.ts"
        )
    assert path.stat().st_size > 0
    clip_calls = [r for r in sim.state.requests if r.path.endswith("/camera/clip")]
    assert len(clip_calls) == 2


async def test_a_link_that_keeps_expiring_gives_up_after_one_refresh(
    simulator_factory: Factory, tmp_path: Path
) -> None:
    sim = simulator_factory(url_ttl=0.0)
    async with MerakiClient("demo-key", sim.api_url) as client:
        lobby = await camera_named(client, "Lobby")
        end = utc_now() - timedelta(seconds=90)
        with pytest.raises(MediaExpired):
            await client.download_clip(
                lobby.serial, end - timedelta(seconds=5), end, tmp_path / "c.ts"
            )
    assert len([r for r in sim.state.requests if r.path.endswith("/camera/clip")]) == 2
    assert await asyncio.to_thread(os.listdir, tmp_path) == []


async def test_sense_analytics_boundaries_and_settings_parse(simulator_factory: Factory) -> None:
    sim = simulator_factory(rate=20.0)
    async with MerakiClient("demo-key", sim.api_url, rate=20.0) as client:
        warehouse = await camera_named(client, "Warehouse")
        serial = warehouse.serial
        assert (await client.device(serial)).name == "Warehouse"
        zones = {zone.label: zone.id for zone in await client.analytics_zones(serial)}
        assert {"Dock Doors", "Aisle 3"} <= set(zones)
        live = await client.analytics_live(serial)
        assert set(zones.values()) <= set(live.zones)
        t1 = utc_now().replace(second=0)
        t0 = t1 - timedelta(hours=1)
        history = await client.analytics_zone_history(serial, zones["Dock Doors"], t0, t1)
        assert len(history) == 60 and all(
            row.end - row.start == timedelta(minutes=1) for row in history
        )
        overview = await client.analytics_overview(serial, t0, t1)
        assert {row.zone_id for row in overview} >= set(zones.values())
        assert await client.analytics_recent(serial, "vehicle") is not None
        (area,) = await client.boundary_areas([serial])
        (line,) = await client.boundary_lines([serial])
        assert (area.id, area.type, len(area.vertices)) == ("area-wh-dock", "area", 4)
        assert line.id == "line-wh-door" and line.direction_vertex is not None
        counts = await client.detections_history(
            [area.id, line.id], [TimeRange(t0 - timedelta(hours=1), t1, 3600)]
        )
        assert {(c.boundary_id, c.end - c.start) for c in counts} == {
            (area.id, timedelta(hours=1)),
            (line.id, timedelta(hours=1)),
        }
        assert len(counts) == 4
        video = await client.video_settings(serial)
        assert video.external_rtsp_enabled and (video.rtsp_url or "").startswith("rtsp://")
        sense = await client.sense_settings(serial)
        assert sense.sense_enabled and any(t.endswith("/raw_detections") for t in sense.mqtt_topics)
        link = await client.video_link(serial, t0)
        assert serial in link.url and link.vision_url


async def test_background_work_waits_while_a_persons_clip_downloads(
    meraki: MerakiClient, simulator: SimulatorServer, tmp_path: Path
) -> None:
    lobby = await camera_named(meraki, "Lobby")
    end = utc_now() - timedelta(seconds=30)
    simulator.state.faults = Faults(latency=0.5)  # holds the person's clip request a while
    person = asyncio.create_task(
        meraki.download_clip(lobby.serial, end - timedelta(seconds=10), end, tmp_path / "a.ts")
    )
    await asyncio.to_thread(simulator.state.wait_delayed, bool, 10.0)
    export_part = asyncio.create_task(meraki.people_first())
    await asyncio.sleep(0)
    assert not export_part.done()  # an export's next part waits for the person's clip
    await person
    await asyncio.wait_for(export_part, 5.0)
    # A background download is no one's wait: it holds nothing up.
    background = asyncio.create_task(
        meraki.download_clip(
            lobby.serial,
            end - timedelta(seconds=20),
            end,
            tmp_path / "b.ts",
            priority=Priority.BACKGROUND,
        )
    )
    await asyncio.to_thread(simulator.state.wait_delayed, bool, 10.0)
    await asyncio.wait_for(meraki.people_first(), 5.0)
    await background
