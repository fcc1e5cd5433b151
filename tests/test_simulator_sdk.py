"""The official Meraki SDK, sync and asyncio, talks to the simulator and gets documented shapes."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import meraki
import meraki.aio
import numpy as np
import pytest
from numpy.typing import NDArray
from PIL import Image

from simulator import SimulatorServer
from simulator.media import decode_stripe
from simulator.timefmt import format_timestamp
from tests.conftest import SimulatorFactory

LOBBY, WAREHOUSE, PARKING, SWITCH = (
    "Q2FV-LBBY-0001",
    "Q2JV-WRHS-0004",
    "Q2LV-PRKG-0006",
    "Q2MS-CORE-0101",
)
DOCK_DOORS = "566327653141842188"


def sdk_options(server: SimulatorServer, tmp_path: Path) -> dict[str, object]:
    return {
        "api_key": "demo-key",
        "base_url": server.api_url,
        "suppress_logging": True,
        "output_log": False,
        "smart_flow_cache_path": str(tmp_path / "smart-flow.json"),
        "maximum_retries": 4,
    }


@pytest.fixture
def server(simulator_factory: SimulatorFactory) -> SimulatorServer:
    # A generous rate keeps the SDK's own pacing (9/s) from waiting on 429s here.
    return simulator_factory(rate=50.0, availability_lag=5.0, snapshot_ready_delay=0.0)


@pytest.fixture
def dashboard(server: SimulatorServer, tmp_path: Path) -> Iterator[meraki.DashboardAPI]:
    api = meraki.DashboardAPI(**sdk_options(server, tmp_path))
    yield api
    api._session.close()


def test_sdk_lists_every_device_across_pages(
    dashboard: meraki.DashboardAPI, server: SimulatorServer
) -> None:
    devices = dashboard.organizations.getOrganizationDevices(
        server.org_id, total_pages="all", perPage=3
    )
    assert len(devices) == 9
    assert len({d["serial"] for d in devices}) == 9
    pages = [
        r
        for r in server.state.requests
        if r.path.endswith(f"/organizations/{server.org_id}/devices")
    ]
    assert len(pages) == 3
    cameras = dashboard.organizations.getOrganizationDevices(
        server.org_id, total_pages="all", perPage=3, productTypes=["camera"]
    )
    assert {c["name"] for c in cameras} >= {"Lobby", "Garage Entrance", "Warehouse", "Parking Lot"}
    assert all(c["productType"] == "camera" and c["model"].startswith("MV") for c in cameras)
    assert {"name", "serial", "mac", "model", "networkId", "lanIp", "firmware", "tags"} <= set(
        cameras[0]
    )


def test_sdk_reads_networks_availability_and_a_device(
    dashboard: meraki.DashboardAPI, server: SimulatorServer
) -> None:
    networks = dashboard.organizations.getOrganizationNetworks(server.org_id, total_pages="all")
    assert {n["name"]: n["timeZone"] for n in networks} == {
        "HQ": "America/New_York",
        "Distribution Center": "Europe/Amsterdam",
    }
    statuses = dashboard.organizations.getOrganizationDevicesAvailabilities(
        server.org_id, total_pages="all", productTypes=["camera"]
    )
    assert {s["name"]: s["status"] for s in statuses}["Loading Dock"] == "offline"
    assert {s["name"]: s["status"] for s in statuses}["Lobby"] == "online"
    assert dashboard.devices.getDevice(SWITCH)["productType"] == "switch"


def test_sdk_generates_a_clip_and_a_snapshot(dashboard: meraki.DashboardAPI) -> None:
    start = int(time.time()) - 600
    answer = dashboard.camera.clipDeviceCamera(
        LOBBY, format_timestamp(start), format_timestamp(start + 10)
    )
    assert set(answer) == {"url", "expiry"}
    clip = httpx.get(answer["url"])
    assert clip.status_code == 200 and clip.content[0] == 0x47  # MPEG-TS sync byte
    multi = dashboard.camera.clipDeviceCamera(
        PARKING, format_timestamp(start), format_timestamp(start + 2), imagerId=3
    )
    assert httpx.get(multi["url"]).status_code == 200

    snapshot = dashboard.camera.generateDeviceCameraSnapshot(
        LOBBY, timestamp=format_timestamp(start)
    )
    image = Image.open(io.BytesIO(httpx.get(snapshot["url"]).content))
    assert image.format == "JPEG" and image.size == (480, 270)
    assert decode_stripe(_rgb(image)) == start * 1000
    full = dashboard.camera.generateDeviceCameraSnapshot(LOBBY, fullframe=True)
    assert Image.open(io.BytesIO(httpx.get(full["url"]).content)).size == (960, 540)


def test_sdk_reads_sense_analytics(dashboard: meraki.DashboardAPI) -> None:
    live = dashboard.camera.getDeviceCameraAnalyticsLive(WAREHOUSE)
    assert set(live) == {"ts", "zones"}
    assert set(live["zones"]) == {"0", DOCK_DOORS, "566327653141842189"}
    assert all(isinstance(counts["person"], int) for counts in live["zones"].values())

    zones = dashboard.camera.getDeviceCameraAnalyticsZones(WAREHOUSE)
    assert [(z["id"], z["label"]) for z in zones][:2] == [
        ("0", "Full Frame"),
        (DOCK_DOORS, "Dock Doors"),
    ]

    overview = dashboard.camera.getDeviceCameraAnalyticsOverview(WAREHOUSE, timespan=3600)
    assert {row["zoneId"] for row in overview} == {0, int(DOCK_DOORS), 566327653141842189}
    assert all({"startTs", "endTs", "entrances", "averageCount"} <= set(row) for row in overview)

    recent = dashboard.camera.getDeviceCameraAnalyticsRecent(WAREHOUSE, objectType="person")
    assert len(recent) == 3

    history = dashboard.camera.getDeviceCameraAnalyticsZoneHistory(
        WAREHOUSE, DOCK_DOORS, timespan=3600
    )
    assert len(history) in (59, 60)  # whole minutes of the last hour
    assert set(history[0]) == {"startTs", "endTs", "entrances", "averageCount"}
    assert history[0]["endTs"] == history[1]["startTs"]


def test_sdk_reads_boundaries_and_detections(
    dashboard: meraki.DashboardAPI, server: SimulatorServer
) -> None:
    areas = dashboard.camera.getOrganizationCameraBoundariesAreasByDevice(
        server.org_id, serials=[WAREHOUSE]
    )
    assert areas == [
        {
            "serial": WAREHOUSE,
            "networkId": "L_646829496481105434",
            "boundaries": {
                "id": "area-wh-dock",
                "name": "Dock Area",
                "type": "area",
                "vertices": [
                    {"x": 0.05, "y": 0.35},
                    {"x": 0.45, "y": 0.35},
                    {"x": 0.45, "y": 0.95},
                    {"x": 0.05, "y": 0.95},
                ],
            },
        }
    ]
    lines = dashboard.camera.getOrganizationCameraBoundariesLinesByDevice(server.org_id)
    assert [line["boundaries"]["directionVertex"] for line in lines] == [{"x": 0.25, "y": 0.8}]

    end = int(time.time()) // 3600 * 3600
    ranges = [
        {
            "startTime": format_timestamp(end - 3600),
            "endTime": format_timestamp(end),
            "interval": 300,
        }
    ]
    detections = dashboard.camera.getOrganizationCameraDetectionsHistoryByBoundaryByInterval(
        server.org_id, ["area-wh-dock", "line-wh-door"], ranges, total_pages="all", perPage=5
    )
    assert len(detections) == 24  # 12 five-minute intervals for each boundary, over 5 pages
    assert {d["type"] for d in detections} == {"area", "line"}
    first = detections[0]["results"]
    assert first["startTime"] == format_timestamp(end - 3600) and first["objectType"] == "person"
    assert isinstance(first["in"], int) and isinstance(first["out"], int)


async def test_async_sdk_pages_devices_and_gets_a_clip(
    server: SimulatorServer, tmp_path: Path
) -> None:
    async with meraki.aio.AsyncDashboardAPI(**sdk_options(server, tmp_path)) as dashboard:
        devices = await dashboard.organizations.getOrganizationDevices(
            server.org_id, total_pages="all", perPage=4
        )
        start = int(time.time()) - 300
        clip = await dashboard.camera.clipDeviceCamera(
            WAREHOUSE, format_timestamp(start), format_timestamp(start + 5)
        )
    assert len(devices) == 9
    async with httpx.AsyncClient() as http:
        assert (await http.get(clip["url"])).headers["content-type"] == "video/mp2t"


def test_sdk_waits_out_429s_using_retry_after(
    simulator_factory: SimulatorFactory, tmp_path: Path
) -> None:
    server = simulator_factory(rate=2.0)
    options = {**sdk_options(server, tmp_path), "smart_flow_enabled": False}
    dashboard = meraki.DashboardAPI(**options)
    try:
        names = [dashboard.devices.getDevice(LOBBY)["name"] for _ in range(4)]
    finally:
        dashboard._session.close()
    assert names == ["Lobby"] * 4
    assert any(r.status == 429 for r in server.state.requests)


def _rgb(image: Image.Image) -> NDArray[np.uint8]:
    return np.asarray(image.convert("RGB"))
