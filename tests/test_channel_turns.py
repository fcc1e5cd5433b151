"""A chat channel's pace kept for a fleet (bot.fleet.channel_turns): replicas on one
PostgreSQL database take turns in a channel, one slot per interval, in the order asked.

Each "replica" is a ChannelTurns on an engine of its own; real time, short intervals.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import Engine

from adapters.slack.pacing import ChannelPacer
from bot.fleet.channel_turns import ChannelTurns
from bot.store import Store, create_database_engine
from tests.db_fixtures import postgres_url_fixture  # noqa: F401

# Long enough that a loaded machine waking a sleeper late (tens of milliseconds, seen on a
# two-core CI machine running three test workers) stays well inside the tolerance.
INTERVAL = 0.5
SLACK = "slack"
RUN = 5  # gaps in a row whose sum shows the pace whatever one late stamp does


def assert_paced(times: list[float], interval: float) -> None:
    """Posts at `times` (sorted) kept one per `interval`: every RUN gaps in a row span at
    least 0.9 of RUN intervals, and no two posts came together.

    A post stamped late shortens the gap after it as much as it lengthens the one before,
    so a single gap says little on a loaded machine (0.72 s against 1 s was seen with three
    test workers on two cores); a run of gaps only loses what its two ends were late. Had
    each replica paced itself alone, three would post three times as often.
    """
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    assert min(gaps) > interval / 2, gaps
    runs = [times[n + RUN] - times[n] for n in range(len(times) - RUN)]
    assert min(runs) >= 0.9 * RUN * interval, runs


@pytest.fixture
async def engines(postgres_url: str) -> AsyncIterator[list[Engine]]:
    """Three engines on one migrated database, as three replicas would hold."""
    store = await Store.open(postgres_url)
    await store.close()
    made = [create_database_engine(postgres_url) for _ in range(3)]
    yield made
    for engine in made:
        engine.dispose()


async def test_replicas_posting_into_one_channel_get_slots_an_interval_apart(
    engines: list[Engine],
) -> None:
    fleet = [ChannelTurns(engine, SLACK) for engine in engines]
    waits = [await fleet[n % 3].reserve("C1", INTERVAL) for n in range(9)]
    assert waits[0] == 0.0  # the channel was quiet
    # Each next slot starts one interval after the one before (less the time spent asking).
    for earlier, later in itertools.pairwise(waits):
        assert INTERVAL * 0.5 < later - earlier <= INTERVAL + 1e-6


async def test_replicas_posting_together_keep_the_pace_of_one(engines: list[Engine]) -> None:
    """Three pacers (one per replica), each posting four messages into one channel at once:
    twelve posts at least an interval apart, whichever replica made them."""
    pacers = []
    for engine in engines:
        pacer = ChannelPacer(INTERVAL)
        pacer.shared = ChannelTurns(engine, SLACK)
        pacers.append(pacer)
    posted: list[float] = []

    async def post(pacer: ChannelPacer) -> None:
        async with pacer.turn("C1"):
            posted.append(time.monotonic())

    await asyncio.gather(*(post(pacer) for pacer in pacers for _ in range(4)))
    posted.sort()
    assert len(posted) == 12
    assert_paced(posted, INTERVAL)


async def test_other_channels_and_platforms_are_not_held_up(engines: list[Engine]) -> None:
    slack, webex = ChannelTurns(engines[0], SLACK), ChannelTurns(engines[1], "webex")
    assert await slack.reserve("C1", 5.0) == 0.0
    assert await slack.reserve("C2", 5.0) == 0.0
    assert await webex.reserve("C1", 5.0) == 0.0
    assert await slack.reserve("C1", 5.0) > 4.0


async def test_a_database_that_does_not_answer_lets_the_post_go() -> None:
    dead = create_database_engine("postgresql://postgres@127.0.0.1:9/nowhere")
    try:
        assert await ChannelTurns(dead, SLACK).reserve("C1", 1.0) == 0.0
    finally:
        dead.dispose()
