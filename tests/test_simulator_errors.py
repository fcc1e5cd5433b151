"""The simulator refuses what the real cloud refuses, with the same statuses and messages."""

from __future__ import annotations

import httpx
import pytest

from simulator import SimulatorServer
from simulator.timefmt import format_timestamp
from tests.conftest import SimulatorFactory

LOBBY, GARAGE, SERVER_ROOM = "Q2FV-LBBY-0001", "Q2GV-GRGE-0002", "Q2HV-SRVR-0003"
WAREHOUSE, LOADING_DOCK, PARKING, SWITCH = (
    "Q2JV-WRHS-0004",
    "Q2KV-LDCK-0005",
    "Q2LV-PRKG-0006",
    "Q2MS-CORE-0101",
)
AUTH = {"Authorization": "Bearer demo-key"}
NOW = 1_741_791_600.0  # Wed 2025-03-12 15:00 UTC


@pytest.fixture
def server(simulator_factory: SimulatorFactory) -> SimulatorServer:
    return simulator_factory(clock=lambda: NOW, rate=100.0)


def clip(
    server: SimulatorServer, serial: str, start: str, end: str, **extra: str
) -> httpx.Response:
    params = {"startTimestamp": start, "endTimestamp": end, **extra}
    return httpx.get(f"{server.api_url}/devices/{serial}/camera/clip", params=params, headers=AUTH)


def ago(seconds: float) -> str:
    return format_timestamp(NOW - seconds)


def test_a_missing_or_wrong_key_is_401_and_both_header_styles_work(server: SimulatorServer) -> None:
    url = f"{server.api_url}/organizations"
    assert httpx.get(url).status_code == 401
    wrong = httpx.get(url, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401 and wrong.json() == {"errors": ["Invalid API key"]}
    assert httpx.get(url, headers={"X-Cisco-Meraki-API-Key": "demo-key"}).status_code == 200
    assert httpx.get(url, headers=AUTH).status_code == 200


@pytest.mark.parametrize(
    ("method", "path"),
    [
        (
            "GET",
            f"/devices/Q2ZZ-NOPE-0000/camera/clip?startTimestamp={ago(600)}&endTimestamp={ago(590)}",
        ),
        ("GET", f"/devices/{SWITCH}/camera/clip?startTimestamp={ago(600)}&endTimestamp={ago(590)}"),
        ("POST", f"/devices/{SWITCH}/camera/generateSnapshot"),
        ("GET", f"/devices/{SWITCH}/camera/analytics/live"),
        ("GET", f"/devices/{WAREHOUSE}/camera/analytics/zones/123/history"),
        ("GET", "/organizations/999999/devices"),
        ("GET", "/devices/Q2ZZ-NOPE-0000"),
        ("GET", "/no/such/endpoint"),
    ],
)
def test_unknown_serials_other_orgs_and_non_cameras_are_404(
    server: SimulatorServer, method: str, path: str
) -> None:
    answer = httpx.request(method, server.api_url + path, headers=AUTH)
    assert answer.status_code == 404
    assert answer.json() == {"errors": ["Not found"]}


def test_a_non_camera_is_still_a_device(server: SimulatorServer) -> None:
    assert (
        httpx.get(f"{server.api_url}/devices/{SWITCH}", headers=AUTH).json()["model"]
        == "MS250-48FP"
    )


@pytest.mark.parametrize(
    ("serial", "start", "end", "extra", "fragment"),
    [
        (LOBBY, "yesterday", ago(590), {}, "startTimestamp"),
        (LOBBY, "2025-03-12T14:40:00", ago(590), {}, "time zone"),  # naive
        (LOBBY, ago(600), "2025-03-12T14:50:10.000+99:00", {}, "endTimestamp"),
        (LOBBY, ago(600), ago(299), {}, "5 minutes"),
        (LOBBY, ago(600), ago(599.5), {}, "1 second"),
        (LOBBY, ago(600), ago(610), {}, "after"),
        (LOBBY, ago(600), ago(590), {"imagerId": "2"}, "imagerId"),
        (PARKING, ago(600), ago(590), {}, "imagerId"),
        (PARKING, ago(600), ago(590), {"imagerId": "5"}, "between 1 and 4"),
    ],
)
def test_malformed_clip_requests_are_400(
    server: SimulatorServer, serial: str, start: str, end: str, extra: dict[str, str], fragment: str
) -> None:
    answer = clip(server, serial, start, end, **extra)
    assert answer.status_code == 400
    assert fragment in answer.json()["errors"][0]


def test_an_offset_timestamp_and_a_whole_five_minutes_are_fine(server: SimulatorServer) -> None:
    assert (
        clip(server, LOBBY, "2025-03-12T15:50:00+01:00", "2025-03-12T14:55:00Z").status_code == 200
    )
    assert clip(server, LOBBY, ago(900), ago(899), imagerId="0").status_code == 200
    assert clip(server, PARKING, ago(900), ago(899), imagerId="4").status_code == 200


@pytest.mark.parametrize(
    ("serial", "start", "end", "fragment"),
    [
        (SERVER_ROOM, 8 * 86400, 8 * 86400 - 10, "outside the retention period"),  # 7-day retention
        (LOBBY, 31 * 86400, 31 * 86400 - 10, "outside the retention period"),
        (LOBBY, 30, 20, "not yet available"),  # inside the 60 s availability lag
        (LOBBY, -60, -70, "not yet available"),  # the future
        (LOADING_DOCK, 3600, 3590, "camera was offline"),  # offline for 3 h, ongoing
        (GARAGE, 47.75 * 3600, 47.75 * 3600 - 10, "camera was offline"),  # a past outage
    ],
)
def test_footage_that_does_not_exist_yet_or_anymore_is_422(
    simulator_factory: SimulatorFactory, serial: str, start: float, end: float, fragment: str
) -> None:
    server = simulator_factory(clock=lambda: NOW)
    answer = clip(server, serial, ago(start), ago(end))
    assert answer.status_code == 422
    assert fragment in answer.json()["errors"][0]


def test_the_availability_lag_is_configurable(simulator_factory: SimulatorFactory) -> None:
    server = simulator_factory(clock=lambda: NOW, availability_lag=5.0)
    assert clip(server, LOBBY, ago(30), ago(20)).status_code == 200
    assert "not yet available" in clip(server, LOBBY, ago(10), ago(2)).json()["errors"][0]


def test_snapshot_refusals(server: SimulatorServer) -> None:
    url = f"{server.api_url}/devices/{LOBBY}/camera/generateSnapshot"
    both = httpx.post(url, json={"timestamp": ago(600), "fullframe": True}, headers=AUTH)
    assert both.status_code == 400
    assert httpx.post(url, json={"timestamp": "noon"}, headers=AUTH).status_code == 400
    offline = httpx.post(
        f"{server.api_url}/devices/{LOADING_DOCK}/camera/generateSnapshot", headers=AUTH
    )
    assert offline.status_code == 422 and "camera was offline" in offline.json()["errors"][0]


def test_analytics_and_listing_refusals(server: SimulatorServer) -> None:
    base = f"{server.api_url}/devices/{WAREHOUSE}/camera/analytics"
    zone = "566327653141842188"
    long = httpx.get(
        f"{base}/zones/{zone}/history", params={"t0": ago(15 * 3600), "t1": ago(0)}, headers=AUTH
    )
    assert long.status_code == 400 and "14 hours" in long.json()["errors"][0]
    span = httpx.get(
        f"{base}/zones/{zone}/history", params={"timespan": 3600, "t0": ago(60)}, headers=AUTH
    )
    assert span.status_code == 400
    assert (
        httpx.get(f"{base}/overview", params={"objectType": "cat"}, headers=AUTH).status_code == 400
    )
    no_sense = httpx.get(f"{server.api_url}/devices/{GARAGE}/camera/analytics/live", headers=AUTH)
    assert no_sense.status_code == 400 and "Sense" in no_sense.json()["errors"][0]
    devices = f"{server.api_url}/organizations/{server.org_id}/devices"
    assert httpx.get(devices, params={"perPage": 1}, headers=AUTH).status_code == 400
    assert httpx.get(devices, params={"productTypes[]": "toaster"}, headers=AUTH).status_code == 400


def test_an_expired_url_is_403_and_an_unready_snapshot_404(
    simulator_factory: SimulatorFactory,
) -> None:
    clock = {"now": NOW}
    server = simulator_factory(clock=lambda: clock["now"], url_ttl=60.0, snapshot_ready_delay=3.0)
    answer = httpx.post(f"{server.api_url}/devices/{LOBBY}/camera/generateSnapshot", headers=AUTH)
    snapshot = answer.json()["url"]
    assert httpx.get(snapshot).status_code == 404
    clock["now"] += 3
    assert httpx.get(snapshot).status_code == 200
    clock["now"] += 58
    assert httpx.get(snapshot).status_code == 403
    assert httpx.get(snapshot.replace("/snapshots/", "/clips/")[:-4] + ".ts").status_code == 404
