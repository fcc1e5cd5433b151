"""Bursts of clip requests through MerakiClient against the simulator, alone and hammered.

The benchmark (bench/clip_burst.py) runs the same workload at the seed's 5/s; here the
simulator runs faster to keep CI quick, with the same assertions: counts, never times.
"""

from __future__ import annotations

import asyncio
import bisect
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest

from bot.meraki import MerakiClient, RateBudget
from simulator import SimulatorServer
from tests.test_meraki_e2e import camera_named, utc_now

Factory = Callable[..., SimulatorServer]

BURST_RATE = 20.0
HAMMERED_RATE = 50.0
BURST = 100
# The simulator counts a request when its thread gets to it, beside the client's event loop
# and, in CI, two other test workers on two cores: once there a request was refused, which
# the default margin (50 ms, a whole slot at 20/s) allows only if it got there that much
# later, relative to the others, than it was sent. Counted over a window this much wider,
# the client's starts must still never overfill the simulator's.
JITTER = 0.15


def most_accepted_in_any_second(sim: SimulatorServer) -> int:
    accepted = sorted(r.at for r in sim.state.requests if r.status not in (401, 429))
    return max(bisect.bisect_left(accepted, t + 1.0) - i for i, t in enumerate(accepted))


async def burst_of_clips(client: MerakiClient) -> list[Any]:
    lobby = await camera_named(client, "Lobby")
    base = utc_now() - timedelta(minutes=10)
    starts = [base - timedelta(seconds=5 * i) for i in range(BURST)]  # all distinct: no coalescing
    return await asyncio.gather(
        *(client.clip_link(lobby.serial, s, s + timedelta(seconds=5)) for s in starts)
    )


@pytest.mark.slow
async def test_a_burst_of_clip_requests_gets_no_429s(simulator_factory: Factory) -> None:
    sim = simulator_factory(rate=BURST_RATE)
    budget = RateBudget(BURST_RATE, margin=JITTER)
    async with MerakiClient("demo-key", sim.api_url, rate=BURST_RATE, budget=budget) as client:
        links = await burst_of_clips(client)
    assert len({link.url for link in links}) == BURST
    clip_calls = [r for r in sim.state.requests if r.path.endswith("/camera/clip")]
    assert [r.status for r in clip_calls] == [200] * BURST
    assert [r for r in sim.state.requests if r.status == 429] == []
    assert most_accepted_in_any_second(sim) <= BURST_RATE


@pytest.mark.slow
async def test_a_burst_succeeds_while_a_careless_client_hammers_the_org(
    simulator_factory: Factory,
) -> None:
    sim = simulator_factory(rate=HAMMERED_RATE)
    done = asyncio.Event()

    async def careless() -> int:
        """Twice the org's rate, never looks at the answers."""
        sent = 0
        url = f"{sim.api_url}/organizations/{sim.org_id}/networks"
        async with httpx.AsyncClient(headers={"Authorization": "Bearer demo-key"}) as http:
            pending: set[asyncio.Task[httpx.Response]] = set()
            while not done.is_set():
                task = asyncio.create_task(http.get(url))
                pending.add(task)
                task.add_done_callback(pending.discard)
                sent += 1
                await asyncio.sleep(1 / (2 * HAMMERED_RATE))
            await asyncio.gather(*pending, return_exceptions=True)
        return sent

    hammer = asyncio.create_task(careless())
    try:
        async with MerakiClient("demo-key", sim.api_url, rate=HAMMERED_RATE) as client:
            links = await burst_of_clips(client)
    finally:
        done.set()
        sent = await hammer
    assert len({link.url for link in links}) == BURST
    assert sent > HAMMERED_RATE
    clip_ok = [r for r in sim.state.requests if r.path.endswith("/camera/clip") and r.status == 200]
    assert len(clip_ok) == BURST
    assert any(r.status == 429 for r in sim.state.requests), "the careless client was not careless"
    assert most_accepted_in_any_second(sim) <= HAMMERED_RATE
