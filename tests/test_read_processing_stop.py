"""Plate processing stops when asked, whatever it was waiting for: a wake that comes with the
stop must not keep its worker (and with it the bot's shutdown) alive."""

from __future__ import annotations

import asyncio
from contextlib import AbstractAsyncContextManager, nullcontext
from typing import cast

from bot.events.plate_matching import CameraView
from bot.events.processing_lock import ProcessingLock
from bot.events.read_processing import ReadProcessor
from bot.events.sightings import PlateLedger, PlateRules
from bot.telemetry.metrics import Metrics


class HeldLock:
    """Stands in for ProcessingLock: taken at once and held throughout."""

    held = True
    connection = None

    def __init__(self) -> None:
        self.released = False

    async def take(self) -> bool:
        return True

    async def alive(self) -> bool:
        return True

    async def release(self) -> None:
        self.released = True


class NothingStored:
    """Stands in for PlateLedger: no reads to process."""

    def forget(self) -> None:
        return None

    async def unprocessed(self, limit: int = 200, after: int = 0) -> list[tuple[int, str]]:
        return []


async def camera_of(serial: str) -> CameraView:
    return CameraView(serial, serial)


def turn(_: float) -> AbstractAsyncContextManager[bool]:
    return nullcontext(True)


async def test_a_wake_that_comes_with_the_stop_does_not_keep_processing_alive() -> None:
    lock = HeldLock()
    processor = ReadProcessor(
        cast(PlateLedger, NothingStored()),
        PlateRules(),
        camera_of,
        lambda tags, place: True,
        lambda done: None,
        Metrics(),
        turn,
        cast(ProcessingLock, lock),
    )
    processor.start()
    for _ in range(20):  # no I/O: a few turns of the loop take it to its wait for a wake
        await asyncio.sleep(0)
    # Reads stored just as the bot stops: the wake and the cancel land in one turn of the
    # loop, which asyncio.wait_for on Python 3.11 answered by swallowing the cancel.
    processor.wake()
    async with asyncio.timeout(5):
        await processor.stop()
    assert lock.released
