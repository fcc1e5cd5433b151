"""Group commit of plate reads and the turns processing takes at the store (virtual time)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime

from bot.events.decode import PlateRead
from bot.events.read_writer import ReadRefused, ReadWriter
from bot.events.store_turns import CALM, SETTLE, Turn
from tests.test_meraki_virtualtime import run_virtual

AT = datetime(2026, 3, 23, 14, 30, tzinfo=UTC)


def read(key: str) -> PlateRead:
    return PlateRead(key, "/merakimv/Q2GV-GRGE-0002/lpr", "Q2GV-GRGE-0002", "ABC1234", key, AT)


class Store:
    """Records each commit: when it happened (loop time) and which reads it held."""

    def __init__(self, refuse: str | None = None) -> None:
        self.commits: list[tuple[float, list[str]]] = []
        self.refuse = refuse

    async def __call__(self, reads: Sequence[PlateRead]) -> list[bool]:
        if self.refuse is not None and any(r.key == self.refuse for r in reads):
            raise ValueError("a value the store cannot hold")
        self.commits.append((asyncio.get_running_loop().time(), [r.key for r in reads]))
        await asyncio.sleep(0.002)  # a commit takes a little while
        return [True] * len(reads)


async def arriving(writer: ReadWriter, ticks: int, every: float, reads: int = 1) -> float:
    """Submit `reads` reads every `every` seconds, `ticks` times; the loop time of the last."""
    tasks = []
    for tick in range(ticks):
        batch = [read(f"r{tick}-{n}") for n in range(reads)]
        tasks.append(asyncio.create_task(writer.submit_many(batch)))
        await asyncio.sleep(every)
    await asyncio.gather(*tasks)
    return asyncio.get_running_loop().time() - every


def test_a_burst_that_arrives_together_is_stored_in_one_commit_and_each_read_answered() -> None:
    store = Store()

    async def main() -> list[bool | ReadRefused]:
        writer = ReadWriter(lambda: store)
        try:
            return await writer.submit_many([read("a"), read("b"), read("c")])
        finally:
            await writer.stop()

    assert run_virtual(main()) == [True, True, True]
    assert [keys for _, keys in store.commits] == [["a", "b", "c"]]


def test_a_read_the_store_refuses_is_answered_alone_and_the_others_are_stored() -> None:
    store = Store(refuse="bad")

    async def main() -> list[bool | ReadRefused]:
        writer = ReadWriter(lambda: store)
        try:
            return await writer.submit_many([read("a"), read("bad"), read("c")])
        finally:
            await writer.stop()

    first, refused, last = run_virtual(main())
    assert (first, last) == (True, True)
    assert isinstance(refused, ReadRefused)
    assert sorted(k for _, keys in store.commits for k in keys) == ["a", "c"]


def test_processing_waits_for_a_burst_to_end_then_takes_short_turns_until_calm() -> None:
    store = Store()

    async def main() -> tuple[float, float, Turn, Turn]:
        writer = ReadWriter(lambda: store)
        burst = asyncio.create_task(arriving(writer, 40, 0.01, 20))  # 2,000 reads a second
        await asyncio.sleep(0.15)  # processing asks while the burst goes on
        async with writer.turn(5.0) as calm:
            entered = asyncio.get_running_loop().time()
        last = await burst
        await asyncio.sleep(CALM)
        async with writer.turn(5.0) as later:
            pass
        await writer.stop()
        return entered, last, calm, later

    entered, last, calm, later = run_virtual(main())
    assert entered >= last + SETTLE  # not one turn in the middle of the burst
    assert calm.calm is False  # right after a burst: a short turn
    assert later.calm is True  # once reads have been calm: long turns again


def test_a_commit_that_comes_due_during_a_turn_waits_for_it_and_processing_never_starves() -> None:
    store = Store()

    async def main() -> tuple[float, float, float]:
        writer = ReadWriter(lambda: store)
        loop = asyncio.get_running_loop()
        async with writer.turn(5.0):
            pending = asyncio.create_task(writer.submit(read("late")))
            await asyncio.sleep(0.3)  # the turn's work
            left = loop.time()
        await pending
        # Reads that never stop: the turn is still entered, after `longest`.
        endless = asyncio.create_task(arriving(writer, 1000, 0.01, 20))
        await asyncio.sleep(0.15)
        asked = loop.time()
        async with writer.turn(1.0):
            entered = loop.time() - asked
        endless.cancel()
        await writer.stop()
        return left, store.commits[0][0], entered

    left, committed, entered = run_virtual(main())
    assert committed >= left
    assert 1.0 <= entered < 1.5


def test_at_a_steady_trickle_processing_takes_the_store_between_two_reads() -> None:
    store = Store()

    async def main() -> float:
        writer = ReadWriter(lambda: store)
        loop = asyncio.get_running_loop()
        trickle = asyncio.create_task(arriving(writer, 1000, 0.01))  # 100 reads a second
        await asyncio.sleep(0.5)
        asked = loop.time()
        async with writer.turn(5.0):
            waited = loop.time() - asked
        trickle.cancel()
        await writer.stop()
        return waited

    assert run_virtual(main()) < SETTLE  # no waiting for a lull that never comes


def test_a_turn_is_wanted_back_once_reads_arrive_but_not_one_that_waited_its_longest() -> None:
    """Processing looks at `wanted` as it goes and lets go early (bot.events.sightings): a
    lull in the middle of a burst must not hold the burst up for a whole batch. A turn given
    after `longest` is kept whole, or endless reads would leave processing a few at a time."""
    store = Store()

    async def main() -> tuple[bool, bool, bool, bool]:
        writer = ReadWriter(lambda: store)
        async with writer.turn(5.0) as turn:
            alone = turn.wanted()
            pending = asyncio.create_task(writer.submit(read("during")))
            await asyncio.sleep(0)
            arrived = turn.wanted()
        await pending
        endless = asyncio.create_task(arriving(writer, 1000, 0.01, 20))
        await asyncio.sleep(0.15)
        async with writer.turn(1.0) as forced:
            await asyncio.sleep(0.05)
            kept = forced.wanted()
        endless.cancel()
        await asyncio.sleep(0.1)
        async with writer.turn(5.0) as quiet:
            after = quiet.wanted()
        await writer.stop()
        return alone, arrived, kept, after

    alone, arrived, kept, after = run_virtual(main())
    assert (alone, arrived) == (False, True)
    assert kept is False
    assert after is False
