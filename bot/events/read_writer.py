"""Group commit of plate reads: every message that arrived while the last commit ran goes
into the next one, and each is acknowledged only once the transaction holding it commits.

An idle bot commits a read the moment it arrives; a burst commits hundreds per transaction,
which is what lets plate ingest keep up with the broker (docs/benchmarks.md). Failures
split two ways (bot.events.faults): the store being unavailable keeps the batch, unacked,
and tries again with backoff; anything else is narrowed down to the message that causes
it, which is refused (counted as malformed and acknowledged) while the others are stored.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from bot.events.decode import PlateRead
from bot.events.faults import Backoff, is_transient
from bot.events.store_turns import StoreTurns, Turn

log = logging.getLogger(__name__)

MAX_BATCH = 1000  # reads per transaction: bounds the time one commit holds the store
STORE_BACKOFF = Backoff(0.5, 30.0)

StoreReads = Callable[[Sequence[PlateRead]], Awaitable[list[bool]]]


class ReadRefused(Exception):
    """The store refused this one read while it took others: the read cannot be kept."""


@dataclass
class _Group:
    """Reads submitted together: one future for all of them, set once the last is settled."""

    results: list[bool | ReadRefused]
    left: int
    done: asyncio.Future[list[bool | ReadRefused]]

    def settle(self, index: int, result: bool | ReadRefused) -> None:
        self.results[index] = result
        self.left -= 1
        if self.left == 0 and not self.done.done():
            self.done.set_result(self.results)


@dataclass
class _Pending:
    read: PlateRead
    group: _Group
    index: int


class ReadWriter:
    """Stores reads in batches; `submit` returns once its read is committed."""

    def __init__(self, store: Callable[[], StoreReads]) -> None:
        # Looked up at each commit, so the store behind it can be swapped (tests do).
        self._store = store
        self._queue: deque[_Pending] = deque()
        self._ready = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.turns = StoreTurns()

    def turn(self, longest: float) -> contextlib.AbstractAsyncContextManager[Turn]:
        """The store between two commits, for processing (bot.events.store_turns)."""
        return self.turns.between_commits(longest)

    async def submit(self, read: PlateRead) -> bool:
        """Store `read`; False if the same message was stored before. Raises ReadRefused."""
        (result,) = await self.submit_many([read])
        if isinstance(result, ReadRefused):
            raise result
        return result

    async def submit_many(self, reads: Sequence[PlateRead]) -> list[bool | ReadRefused]:
        """Store `reads` (a burst that arrived together: no future or task per read); for
        each, whether it is new, or why the store refused it."""
        if self._task is None:
            self.start()
        if not reads:
            return []
        done: asyncio.Future[list[bool | ReadRefused]] = asyncio.get_running_loop().create_future()
        group = _Group([False] * len(reads), len(reads), done)
        self._queue.extend(_Pending(read, group, index) for index, read in enumerate(reads))
        self.turns.arrived(len(reads))
        self._ready.set()
        return await done

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="plate read writer")

    async def stop(self) -> None:
        """Stop; reads not committed yet are never acknowledged (the broker keeps them)."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        while self._queue:
            self._queue.popleft().group.done.cancel()

    async def _run(self) -> None:
        while True:
            await self._ready.wait()
            self._ready.clear()
            while self._queue:
                count = min(len(self._queue), MAX_BATCH)
                batch = [self._queue.popleft() for _ in range(count)]
                try:
                    await self._commit(batch)
                except BaseException:
                    for pending in batch:
                        pending.group.done.cancel()
                    raise
            self.turns.drained()

    async def _commit(self, batch: list[_Pending]) -> None:
        attempt = 0
        while True:
            try:
                async with self.turns.storing():
                    stored = await self._store()([p.read for p in batch])
            except Exception as error:
                if is_transient(error):
                    attempt += 1
                    wait = STORE_BACKOFF.wait(attempt)
                    log.warning(
                        "storing %d plate reads failed error=%r; trying again in %.1fs",
                        len(batch),
                        error,
                        wait,
                    )
                    await asyncio.sleep(wait)
                    continue
                if len(batch) > 1:
                    # One message spoils the batch: store the rest, find the one.
                    half = len(batch) // 2
                    await self._commit(batch[:half])
                    await self._commit(batch[half:])
                    return
                reason = f"{type(error).__name__}: {error}"[:300]
                batch[0].group.settle(batch[0].index, ReadRefused(reason))
                return
            for pending, fresh in zip(batch, stored, strict=True):
                pending.group.settle(pending.index, fresh)
            return
