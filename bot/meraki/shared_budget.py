"""The organisation's rate budget shared by every replica on one PostgreSQL database.

Same interface as `RateBudget`. In the process, waiters queue by priority then order as
there; only the best of them asks the database (one driver task per budget), so a replica
costs the database one transaction per grant or per refusal, whatever its queue. The
database keeps the log of recent starts, the 429 pause and each replica's best waiting
priority; a grant needs a free place in the window and no other replica waiting with a
strictly better priority. A database that does not answer grants nothing: requests wait.
"""

from __future__ import annotations

import asyncio
import heapq
import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from bot.meraki.budget import Budget, Priority, RateBudget, Slot, WaitingLine
from bot.meraki.budget_ledger import BudgetLedger, Verdict

log = logging.getLogger("bot.meraki.budget")

_Waiter = tuple[int, int, "asyncio.Future[int]"]


class SharedBudget(WaitingLine[int]):
    """No more than ``rate`` request starts in any ``window + margin`` seconds, counted over
    every replica of the organisation, with priorities kept across replicas.

    ``hold``: how far ahead a granted start not yet on the wire is stamped; the replica pushes
    the stamp on every ``hold / 4`` seconds until the request is sent, so the start counts as
    now however long the send takes, and a replica that died between grant and send frees it
    after ``hold``. ``freshness``: how old another
    replica's waiting entry may be and still hold back worse priorities here (a dead
    replica's entry stops mattering after it). ``refresh``: the longest a waiting replica
    sleeps between asks, so its entry stays fresh. ``better_poll``: how soon to ask again
    when another replica's better waiter is about to take a free place. ``retry``: the first
    wait after a database error (doubling up to ``retry_cap``).
    """

    def __init__(
        self,
        engine: Engine,
        org: str,
        replica: str,
        rate: float,
        window: float = 1.0,
        margin: float = 0.05,
        *,
        hold: float = 5.0,
        freshness: float = 3.0,
        refresh: float = 1.0,
        better_poll: float = 0.05,
        retry: float = 0.25,
        retry_cap: float = 2.0,
    ) -> None:
        if not refresh < freshness:
            raise ValueError("a waiting replica must refresh its entry before it goes stale")
        super().__init__(rate, window, margin)
        self.replica = replica
        self._ledger = BudgetLedger(
            engine,
            org,
            replica,
            capacity=self.capacity,
            span=self.window + margin,
            hold=hold,
            freshness=freshness,
        )
        self._refresh = refresh
        self._better_poll = better_poll
        self._retry = retry
        self._retry_cap = retry_cap
        self._poke = asyncio.Event()
        self._driver: asyncio.Task[None] | None = None
        self._registered: int | None = None  # the priority the database holds for us
        self._writes: set[asyncio.Task[None]] = set()
        self._hold = hold
        self._unsent: set[int] = set()  # granted starts not yet on the wire
        self._keeper: asyncio.Task[None] | None = None
        self._closing = False

    def __repr__(self) -> str:
        return (
            f"SharedBudget(org={self._ledger.org!r}, replica={self.replica!r}, "
            f"rate={self.rate}, window={self.window}, margin={self.margin})"
        )

    async def acquire(
        self, priority: Priority = Priority.BACKGROUND, *, seq: int | None = None
    ) -> Slot:
        """Wait for a request start. Pass a previous slot's ``seq`` to keep its place in line."""
        if self._closing:
            raise RuntimeError("the budget is closed")
        order, fut = self._queue(priority, seq)
        if self._registered is None or priority < self._registered:
            self._poke.set()  # the database should hear of a better waiter now
        if self._driver is None or self._driver.done():  # done: it failed; ask afresh
            self._driver = asyncio.create_task(self._drive(), name="shared budget")
        try:
            start = await fut
        except asyncio.CancelledError:
            if fut.done() and not fut.cancelled():
                # Granted in the same tick we were cancelled: hand the start back.
                self._write(self._ledger.release, fut.result())
            self._poke.set()
            raise
        self._unsent.add(start)
        if self._keeper is None:
            self._keeper = asyncio.create_task(self._keep_unsent(), name="shared budget holds")
        return Slot(order, lambda: self._sent(start))

    def pause_until(self, when: float) -> None:
        """Grant nothing before ``when`` (loop time), here at once and in every replica."""
        if when > self._paused_until:
            self._paused_until = when
            self._write(self._ledger.pause, when - self.now())
            self._poke.set()

    async def aclose(self) -> None:
        """Stop asking: waiters left are cancelled, pending writes finish, our entry goes."""
        self._closing = True
        for _, _, fut in self._waiters:
            fut.cancel()
        self._poke.set()
        if self._driver is not None:
            await asyncio.wait([self._driver])  # it hands back a grant in flight, then leaves
        if self._keeper is not None:
            self._keeper.cancel()  # the starts left unsent free themselves after the hold
            await asyncio.wait([self._keeper])
        if self._writes:
            await asyncio.gather(*self._writes, return_exceptions=True)

    def _sent(self, start: int) -> None:
        self._unsent.discard(start)
        self._write(self._ledger.stamp, start)

    async def _keep_unsent(self) -> None:
        """Push the stamps of granted starts still not on the wire further ahead."""
        while self._unsent:
            await asyncio.sleep(self._hold / 4)
            if self._unsent:
                await self._quietly(self._ledger.extend, sorted(self._unsent))
        self._keeper = None

    async def _drive(self) -> None:
        """Ask the database on behalf of this process's best waiter until none is left."""
        failures = 0
        while True:
            best = self._best()
            if best is None:
                if self._registered is not None:
                    self._registered = None
                    await self._quietly(self._ledger.unregister)
                    continue  # someone may have come while we were away
                self._driver = None
                return
            priority, after = best[0], self._after(best)
            self._poke.clear()  # a poke from now on means: ask again at once
            pause = self._paused_until - self.now()
            if pause > 0:
                # Paused here (our own 429, maybe not yet in the database): ask nothing, but
                # keep our place fresh for when the pause ends everywhere.
                await self._quietly(self._ledger.register, priority)
                self._registered = priority
                await self._nap(min(pause, self._refresh))
                continue
            try:
                verdict = await asyncio.to_thread(
                    self._ledger.try_grant, priority, after, self._better_poll
                )
            except SQLAlchemyError as exc:
                failures += 1
                (log.warning if failures == 1 else log.debug)(
                    "rate budget: the database did not answer (%s); nothing is granted "
                    "until it does",
                    type(exc).__name__,
                )
                await self._nap(min(self._retry_cap, self._retry * 2 ** (failures - 1)))
                continue
            if failures:
                log.info("rate budget: the database answers again after %d failures", failures)
                failures = 0
            if verdict.start is None:
                self._refused(verdict, priority)
                await self._nap(min(verdict.retry_in, self._refresh))
            else:
                self._registered = after
                self._hand(verdict.start, priority)

    def _refused(self, verdict: Verdict, priority: int) -> None:
        self._registered = priority
        if verdict.paused_for > 0:
            self._paused_until = max(self._paused_until, self.now() + verdict.paused_for)

    def _hand(self, start: int, priority: int) -> None:
        """Give a granted start to the best waiter, unless it is worse than the one asked for
        (that one was cancelled meanwhile): then the start goes back."""
        best = self._best()
        if best is None or best[0] > priority:
            self._write(self._ledger.release, start)
            return
        heapq.heappop(self._waiters)
        best[2].set_result(start)

    def _best(self) -> _Waiter | None:
        while self._waiters and self._waiters[0][2].done():
            heapq.heappop(self._waiters)
        return self._waiters[0] if self._waiters else None

    def _after(self, best: _Waiter) -> int | None:
        """The best priority waiting here once ``best`` is served."""
        rest = (p for p, _, fut in self._waiters if fut is not best[2] and not fut.done())
        return min(rest, default=None)

    async def _nap(self, seconds: float) -> None:
        if self._poke.is_set():
            return
        try:
            async with asyncio.timeout(max(0.0, seconds)):
                await self._poke.wait()
        except TimeoutError:
            pass

    def _write(self, work: Callable[..., None], *args: Any) -> None:
        """Run a database write in the background; a failed one errs on the safe side (a
        start stays counted, a pause stays local) and is only logged."""
        task = asyncio.get_running_loop().create_task(self._quietly(work, *args))
        self._writes.add(task)
        task.add_done_callback(self._writes.discard)

    async def _quietly(self, work: Callable[..., None], *args: Any) -> None:
        try:
            await asyncio.to_thread(work, *args)
        except SQLAlchemyError as exc:
            log.warning("rate budget: %s failed (%s)", work.__name__, type(exc).__name__)


def organisation_budget(
    engine: Engine, org: str, replica: str, rate: float, margin: float
) -> Budget:
    """The budget for the store's database: shared by replicas on PostgreSQL, in memory on
    SQLite (one process only)."""
    if engine.dialect.name == "postgresql":
        return SharedBudget(engine, org, replica, rate, margin=margin)
    return RateBudget(rate, margin=margin)
