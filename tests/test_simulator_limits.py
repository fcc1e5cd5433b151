"""The organisation's rate window, Retry-After, and injected faults, seen over real sockets."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from simulator import Faults, SimulatorServer
from simulator.timefmt import format_timestamp
from tests.conftest import SimulatorFactory

AUTH = {"Authorization": "Bearer demo-key"}
LOBBY = "Q2FV-LBBY-0001"


def most_accepted_in_any_second(server: SimulatorServer) -> int:
    """The largest count of non-429 answers whose admission fell in one [t, t + 1 s) window."""
    times = sorted(r.at for r in server.state.requests if r.status != 429 and r.org_id)
    return max((sum(1 for u in times if t <= u < t + 1.0) for t in times), default=0)


async def test_a_burst_over_the_rate_gets_429s_with_retry_after(
    simulator_factory: SimulatorFactory,
) -> None:
    server = simulator_factory(rate=5.0)
    url = f"{server.api_url}/organizations/{server.org_id}/networks"
    async with httpx.AsyncClient(headers=AUTH) as http:
        answers = await asyncio.gather(*(http.get(url) for _ in range(30)))
        await asyncio.sleep(0.35)  # a second, spread-out wave inside the same second or the next
        answers += await asyncio.gather(*(http.get(url) for _ in range(10)))
    limited = [a for a in answers if a.status_code == 429]
    assert 0 < len(limited) < len(answers)
    assert limited[0].json() == {"errors": ["API rate limit exceeded for organization"]}
    assert all(int(a.headers["Retry-After"]) >= 1 for a in limited)
    assert most_accepted_in_any_second(server) <= 5
    assert sum(1 for r in server.state.requests if r.status == 429) == len(limited)


async def test_a_client_that_waits_retry_after_gets_through(
    simulator_factory: SimulatorFactory,
) -> None:
    server = simulator_factory(rate=2.0)
    url = f"{server.api_url}/devices/{LOBBY}"
    async with httpx.AsyncClient(headers=AUTH) as http:
        names: list[str] = []
        while len(names) < 5:
            answer = await http.get(url)
            if answer.status_code == 429:
                await asyncio.sleep(int(answer.headers["Retry-After"]))
                continue
            names.append(answer.json()["name"])
    assert names == ["Lobby"] * 5
    assert most_accepted_in_any_second(server) <= 2


def test_media_downloads_are_not_api_calls(simulator_factory: SimulatorFactory) -> None:
    server = simulator_factory(rate=1.0, clock=lambda: 1_741_791_600.0, snapshot_ready_delay=0.0)
    answer = httpx.post(f"{server.api_url}/devices/{LOBBY}/camera/generateSnapshot", headers=AUTH)
    assert answer.status_code == 200
    statuses = [httpx.get(answer.json()["url"]).status_code for _ in range(4)]
    assert statuses == [200] * 4
    assert [r.path for r in server.state.requests] == [
        f"/api/v1/devices/{LOBBY}/camera/generateSnapshot"
    ]


def test_with_error_rate_one_every_answer_is_a_server_error(
    simulator_factory: SimulatorFactory,
) -> None:
    server = simulator_factory(rate=100.0, faults=Faults(error_rate=1.0, seed=3))
    statuses = {
        httpx.get(f"{server.api_url}/organizations", headers=AUTH).status_code for _ in range(12)
    }
    assert statuses <= {500, 503} and statuses
    server.state.faults = Faults()
    assert httpx.get(f"{server.api_url}/organizations", headers=AUTH).status_code == 200


def test_with_drop_rate_one_the_client_sees_a_broken_connection(simulator: SimulatorServer) -> None:
    simulator.state.faults = Faults(drop_rate=1.0, seed=1)
    start = format_timestamp(1_741_791_000.0)
    with pytest.raises(httpx.TransportError):
        httpx.get(
            f"{simulator.api_url}/devices/{LOBBY}/camera/clip",
            params={"startTimestamp": start, "endTimestamp": start},
            headers=AUTH,
        )
    assert simulator.state.requests[-1].status == 0
    simulator.state.faults = Faults()
    assert httpx.get(f"{simulator.api_url}/organizations", headers=AUTH).status_code == 200


def test_faults_are_reproducible_from_their_seed(simulator_factory: SimulatorFactory) -> None:
    runs = []
    for _ in range(2):
        server = simulator_factory(rate=100.0, faults=Faults(error_rate=0.5, seed=42))
        runs.append(
            [
                httpx.get(f"{server.api_url}/organizations", headers=AUTH).status_code
                for _ in range(16)
            ]
        )
    assert runs[0] == runs[1]
    assert {200} < set(runs[0])
