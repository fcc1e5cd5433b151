"""Stored plate reads → sightings and alerts, in batches, off the path that stores them.

One worker processes reads in the order they were stored, a batch per transaction, so that
two reads of one car never race to start two sightings. A read whose processing fails is
taken out of the line and tried again with backoff while the reads behind it go on; after
its last try it is parked: marked processed without a sighting, audited, counted in
`/metrics` and logged. When the store itself is unavailable nothing is counted against
any read: the worker waits and tries the same batch again.

Among replicas on PostgreSQL the worker processes only while it holds the processing lock
(bot.events.processing_lock), on the lock's connection; every replica's worker tries for it
every TRY_EVERY. The holder starts from what the store says (another replica may have made
sightings meanwhile) and looks for reads every POLL_EVERY as well as when woken, since the
other replicas store reads it is not told of. When the lock's connection is lost, it stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass

from sqlalchemy import Connection

from bot.events.faults import Backoff, is_transient
from bot.events.processing_lock import ProcessingLock
from bot.events.sightings import CameraView, MaySee, PlateLedger, PlateRules, Processed
from bot.events.store_turns import Turn
from bot.telemetry.metrics import Metrics

log = logging.getLogger(__name__)

BATCH = 1000  # reads per transaction
BUSY_BATCH = 250  # reads per transaction while reads are still arriving
POISON_AFTER = 3  # failed attempts after which a read is parked
RETRY = Backoff(1.0, 30.0)  # between attempts at one failing read
STORE_DOWN = Backoff(1.0, 30.0)  # between attempts while the store is unavailable

QUIET_WAIT = 1.0  # seconds processing may wait for a burst to be stored first
TRY_EVERY = 1.0  # seconds between attempts at the processing lock of a replica without it
POLL_EVERY = 0.5  # seconds between looks for reads other replicas stored, with the lock
CameraOf = Callable[[str], Awaitable[CameraView]]
# Entered to use the store between commits (bot.events.store_turns).
TakeTurn = Callable[[float], AbstractAsyncContextManager[Turn]]
Deliver = Callable[[Processed], None]


@dataclass
class _Retry:
    serial: str
    failures: int = 0
    due: float = 0.0  # time.monotonic()


class ReadProcessor:
    """Processes stored reads; `wake` after storing some."""

    def __init__(
        self,
        ledger: PlateLedger,
        rules: PlateRules,
        camera_of: CameraOf,
        may_see: MaySee,
        deliver: Deliver,
        metrics: Metrics,
        turn: TakeTurn,
        lock: ProcessingLock | None = None,
    ) -> None:
        self.ledger = ledger
        self.rules = rules
        self.camera_of = camera_of
        self.may_see = may_see
        self.deliver = deliver
        self.metrics = metrics
        # Storing acknowledges messages and so lets the broker send more; the two share one
        # database writer and one interpreter, so a burst is stored first (ReadWriter.turn).
        self.turn = turn
        self.lock = lock  # None: the only process on its (SQLite) store
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()  # one merge at a time: the sighting index is shared
        self._worker: asyncio.Task[None] | None = None
        self._retries: dict[int, _Retry] = {}  # read id → its failures so far
        self._timer: asyncio.TimerHandle | None = None
        metrics.describe("mvbot_plate_reads_total", "Stored plate reads by processing outcome.")

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        """Process stored reads, those left from before a restart first."""
        self._worker = asyncio.create_task(self._work(), name="plate processing")
        self._wake.set()

    async def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        if self._worker is not None:
            self._worker.cancel()
            await asyncio.gather(self._worker, return_exceptions=True)
            self._worker = None
        if self.lock is not None:
            await self.lock.release()

    async def catch_up(self) -> int:
        """Process every stored read not processed yet, one at a time and in order; a read
        that fails raises (it is kept for the next call) until its last try parks it.
        Returns how many reads were processed."""
        done = 0
        while batch := await self.ledger.unprocessed():
            for read_id, serial in batch:
                done += await self._one(read_id, serial, strict=True)
        return done

    async def _work(self) -> None:
        if self.lock is None:
            await self._serve(None)
            return
        while True:
            if not await self.lock.take():
                await asyncio.sleep(TRY_EVERY)
                continue
            self.ledger.forget()  # what other replicas merged since is in the store only
            try:
                await self._serve(self.lock)
            finally:
                await self.lock.release()

    async def _serve(self, lock: ProcessingLock | None) -> None:
        """Process reads as they are stored; with `lock`, until it is lost."""
        cursor, down = 0, 0
        while True:
            if lock is None:
                await self._wake.wait()
            else:
                # Not asyncio.wait_for: on Python 3.11 it swallows a cancel that comes as the
                # wake does, and stop() would wait for this loop for ever.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(POLL_EVERY):
                        await self._wake.wait()
                if not await self._holds(lock):
                    return
                cursor = 0  # replicas commit reads out of id order: list from the start
            self._wake.clear()
            try:
                cursor = await self._drain(cursor)
                down = 0
            except asyncio.CancelledError:
                raise
            except Exception as error:
                if lock is not None and not await self._holds(lock):
                    return
                down += 1
                wait = STORE_DOWN.wait(down)
                log.warning("processing plate reads failed error=%r; again in %.0fs", error, wait)
                await asyncio.sleep(wait)
                self._wake.set()

    async def _drain(self, cursor: int) -> int:
        """Process everything stored after `cursor`, and the retries that are due."""
        # Read ids are listed BATCH at a time, and taken from the list in small batches while
        # reads are still arriving: listing them again for every small batch cost as much as
        # a fifth of processing a burst.
        listed: list[tuple[int, str]] = []
        while True:
            await self._retry_due()
            if not listed:
                listed = await self.ledger.unprocessed(BATCH, after=cursor)
                if not listed:
                    return cursor
            batch = listed
            cameras = await self._cameras(s for i, s in batch if i not in self._retries)
            async with self._lock, self.turn(QUIET_WAIT) as turn:
                if not turn.calm:
                    # Reads arrived moments ago (store_turns.CALM): a small batch, so that a commit
                    # that comes due waits a few milliseconds, not a whole batch.
                    batch = batch[:BUSY_BATCH]
                listed = listed[len(batch) :]
                waiting = [(i, s) for i, s in batch if i not in self._retries]
                ids = [read_id for read_id, _ in waiting]
                done: Processed | None = None
                if ids:
                    try:
                        done = await self.ledger.process_batch(
                            ids, cameras, self.rules, self.may_see, self._on(), turn.wanted
                        )
                    except Exception as error:
                        if is_transient(error):
                            raise  # the store is down: the same batch, later
            if ids and done is None:
                # One read spoils the batch: take them one by one to find it.
                for read_id, serial in waiting:
                    await self._one(read_id, serial, strict=False)
            elif done is not None:
                self._delivered(done, len(ids) - len(done.left))
                if done.left:  # the turn ended early: they come first in the next
                    left = set(done.left)
                    listed = [(i, s) for i, s in batch if i in left] + listed
            cursor = batch[-1][0]

    async def _retry_due(self) -> None:
        now = time.monotonic()
        for read_id, retry in [(i, r) for i, r in self._retries.items() if r.due <= now]:
            await self._one(read_id, retry.serial, strict=False)
        self._arm()

    async def _one(self, read_id: int, serial: str, *, strict: bool) -> bool:
        """Process one read; False if it failed (and is kept for later, or parked)."""
        camera = await self.camera_of(serial)
        try:
            async with self._lock, self.turn(QUIET_WAIT):
                done = await self.ledger.process(
                    read_id, camera, self.rules, self.may_see, self._on()
                )
        except Exception as error:
            if is_transient(error) and not strict:
                raise
            retry = self._retries.get(read_id) or _Retry(serial)
            retry.failures += 1
            if retry.failures < POISON_AFTER:
                retry.due = time.monotonic() + RETRY.wait(retry.failures)
                self._retries[read_id] = retry
                log.warning(
                    "plate read %s failed attempt=%d error=%r; tried again later",
                    read_id,
                    retry.failures,
                    error,
                )
                if strict:
                    raise
                self._arm()
                return False
            await self._park(read_id, error)
            return False
        self._retries.pop(read_id, None)
        self._delivered(done, 1)
        return True

    async def _holds(self, lock: ProcessingLock) -> bool:
        async with self._lock:  # its connection is used by one thing at a time
            return await lock.alive()

    def _on(self) -> Connection | None:
        """The connection processing runs on: the lock's, if this replica holds it."""
        return self.lock.connection if self.lock is not None and self.lock.held else None

    async def _park(self, read_id: int, error: BaseException) -> None:
        # One read that always fails must not hold up every read after it.
        log.error(
            "plate read %s failed %d times, parked (kept, not processed) error=%r",
            read_id,
            POISON_AFTER,
            error,
        )
        await self.ledger.set_aside(read_id)
        self._retries.pop(read_id, None)
        self.metrics.inc("mvbot_plate_reads_total", outcome="parked")

    def _delivered(self, done: Processed, count: int) -> None:
        self.metrics.inc("mvbot_plate_reads_total", count, outcome="processed")
        self.deliver(done)

    def _arm(self) -> None:
        """Wake the worker when the next retry is due."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._retries:
            due = min(r.due for r in self._retries.values())
            loop = asyncio.get_running_loop()
            self._timer = loop.call_later(max(due - time.monotonic(), 0.0), self._wake.set)

    async def _cameras(self, serials: Iterable[str]) -> Mapping[str, CameraView]:
        return {serial: await self.camera_of(serial) for serial in set(serials)}
