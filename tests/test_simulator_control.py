"""The simulator's control routes take a camera offline and back: its availability and
status (paginated like the cloud's) follow at once, and so does its live snapshot."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from simulator import SimulatorServer

LOBBY = "Q2FV-LBBY-0001"
AUTH = {"Authorization": "Bearer demo-key"}


def status_of(simulator: SimulatorServer, path: str, serial: str) -> str:
    org = simulator.org_id
    url, found = f"{simulator.api_url}/organizations/{org}/devices/{path}?perPage=3", []
    while url:  # every page, following the Link header as a client would
        answer = httpx.get(url, headers=AUTH)
        assert answer.status_code == 200, answer.text
        found += answer.json()
        url = answer.links.get("next", {}).get("url")
    assert len({row["serial"] for row in found}) == len(found) > 3
    (row,) = [r for r in found if r["serial"] == serial]
    return str(row["status"])


def test_a_camera_taken_offline_and_back_shows_in_its_status_and_footage(
    simulator_factory: Callable[..., SimulatorServer],
) -> None:
    simulator = simulator_factory(rate=1000.0)  # many small pages, no queueing
    assert status_of(simulator, "availabilities", LOBBY) == "online"
    answer = httpx.post(f"{simulator.url}/control/cameras/{LOBBY}/offline")
    assert answer.json() == {"serial": LOBBY, "status": "offline"}
    assert status_of(simulator, "availabilities", LOBBY) == "offline"
    assert status_of(simulator, "statuses", LOBBY) == "offline"
    snapshot = f"{simulator.api_url}/devices/{LOBBY}/camera/generateSnapshot"
    refused = httpx.post(snapshot, json={}, headers=AUTH)
    assert refused.status_code == 422 and "offline" in refused.text
    httpx.post(f"{simulator.url}/control/cameras/{LOBBY}/online")
    assert status_of(simulator, "statuses", LOBBY) == "online"
    assert httpx.post(snapshot, json={}, headers=AUTH).status_code == 200
    unknown = httpx.post(f"{simulator.url}/control/cameras/Q2XX-NONE-0000/offline")
    assert unknown.status_code == 404
