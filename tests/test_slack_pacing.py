"""The per-channel queue, on virtual time: in order, one per interval, none dropped."""

from __future__ import annotations

import asyncio

from adapters.slack.pacing import ChannelPacer


class VirtualTime:
    """A clock that moves only when someone sleeps (one sleeper at a time in these tests)."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


async def test_a_burst_to_one_channel_goes_out_in_order_a_second_apart() -> None:
    time = VirtualTime()
    pacer = ChannelPacer(1.0, clock=time.clock, sleep=time.sleep)
    posted: list[tuple[int, float]] = []

    async def post(index: int) -> None:
        async with pacer.turn("C1"):
            posted.append((index, time.now))

    await asyncio.gather(*(post(i) for i in range(5)))

    assert posted == [(0, 0.0), (1, 1.0), (2, 2.0), (3, 3.0), (4, 4.0)]


async def test_other_channels_are_not_held_up() -> None:
    time = VirtualTime()
    pacer = ChannelPacer(1.0, clock=time.clock, sleep=time.sleep)
    async with pacer.turn("C1"):
        pass
    async with pacer.turn("C2"):
        pass
    assert time.sleeps == []
    async with pacer.turn("C1"):
        pass
    assert time.sleeps == [1.0]


async def test_a_post_after_a_quiet_interval_goes_at_once_and_idle_channels_are_forgotten() -> None:
    time = VirtualTime()
    pacer = ChannelPacer(1.0, clock=time.clock, sleep=time.sleep)
    async with pacer.turn("C1"):
        time.now += 0.25  # the post itself took a while
    time.now += 0.5
    async with pacer.turn("C1"):
        pass
    assert time.sleeps == [0.5]  # the interval counts from the end of the last post

    time.now += 5
    async with pacer.turn("C2"):
        pass
    assert pacer.channels == 1  # C1 was idle for longer than the interval


async def test_a_failed_post_still_spaces_the_next() -> None:
    time = VirtualTime()
    pacer = ChannelPacer(1.0, clock=time.clock, sleep=time.sleep)
    try:
        async with pacer.turn("C1"):
            raise ConnectionError("Slack went away")
    except ConnectionError:
        pass
    async with pacer.turn("C1"):
        pass
    assert time.sleeps == [1.0]
