"""The per-organisation request budget: a sliding-window log with priorities and pauses."""

from __future__ import annotations

import asyncio
import heapq
import itertools
import math
from collections.abc import Callable
from enum import IntEnum
from typing import Any, Generic, Protocol, TypeVar

_NOT_SENT = math.inf


class Priority(IntEnum):
    """Who is waiting for a request; lower values are served first."""

    INTERACTIVE = 0  # a person in a chat room is waiting for the answer
    ALERT = 1  # an automatic alert (LPR, webhook, badge-in) wants its clip
    VIEWER = 2  # a share viewer's next segment
    BACKGROUND = 3  # directory refresh and other housekeeping


class _Entry:
    """One request start in the log; ``stamp`` is infinite until the request is on the wire."""

    __slots__ = ("stamp",)

    def __init__(self) -> None:
        self.stamp = _NOT_SENT


class Slot:
    """A granted request start. Call ``release`` when the request is over, whatever happened.

    Until the request is known to be sent, the slot counts as taken *now*: a request granted
    but stuck waiting for a connection must not let the window slide past it. ``on_sent`` is
    the budget's way to pin the start's time, called once.
    """

    def __init__(self, seq: int, on_sent: Callable[[], None]) -> None:
        self._on_sent: Callable[[], None] | None = on_sent
        self.seq = seq

    async def trace(self, event: str, info: dict[str, Any]) -> None:
        """httpx ``trace`` extension hook: pins the slot's time when the request is sent."""
        if event.endswith("send_request_body.complete"):
            self.mark_sent()

    def mark_sent(self) -> None:
        on_sent, self._on_sent = self._on_sent, None
        if on_sent is not None:
            on_sent()

    def release(self) -> None:
        """The request is over (answered, failed or abandoned)."""
        self.mark_sent()


class Budget(Protocol):
    """What the API transport needs of a budget: in memory (``RateBudget``, one process) or
    shared by replicas through PostgreSQL (``SharedBudget``). Times are the event loop's."""

    @property
    def rate(self) -> float: ...

    @property
    def waiting(self) -> int: ...

    @property
    def paused_until(self) -> float: ...

    def now(self) -> float: ...

    async def acquire(
        self, priority: Priority = Priority.BACKGROUND, *, seq: int | None = None
    ) -> Slot: ...

    def pause_until(self, when: float) -> None: ...

    def pause_for(self, seconds: float) -> None: ...

    async def aclose(self) -> None:
        """Stop granting: the bot is stopping."""
        ...


def window_shape(rate: float, window: float, margin: float) -> tuple[int, float]:
    """The capacity and the window a rate needs: below one request per window, the window
    stretches so that the rate still holds."""
    if rate <= 0 or window <= 0 or margin < 0:
        raise ValueError("rate and window must be positive, margin not negative")
    capacity = max(1, math.floor(rate * window + 1e-9))
    return capacity, max(window, capacity / rate)


Granted = TypeVar("Granted")  # what a waiter's future brings it: a log entry, a start's id


class WaitingLine(Generic[Granted]):
    """What both budgets keep alike: the rate's shape, the waiters queued by priority then
    order of arrival, and the pause after a 429."""

    def __init__(self, rate: float, window: float, margin: float) -> None:
        self.rate = rate
        self.capacity, self.window = window_shape(rate, window, margin)
        self.margin = margin
        self._waiters: list[tuple[int, int, asyncio.Future[Granted]]] = []
        self._counter = itertools.count()
        self._paused_until = -math.inf

    @staticmethod
    def now() -> float:
        return asyncio.get_running_loop().time()

    @property
    def waiting(self) -> int:
        """How many callers in this process are queued for a slot."""
        return sum(1 for _, _, fut in self._waiters if not fut.done())

    @property
    def paused_until(self) -> float:
        """The pause this process knows of."""
        return self._paused_until

    def pause_until(self, when: float) -> None:
        """Grant nothing before ``when`` (loop time): each budget says how."""
        raise NotImplementedError

    def pause_for(self, seconds: float) -> None:
        self.pause_until(self.now() + seconds)

    def _queue(self, priority: Priority, seq: int | None) -> tuple[int, asyncio.Future[Granted]]:
        """A new waiter's place in line (``seq``: a previous slot's, kept) and its future."""
        fut: asyncio.Future[Granted] = asyncio.get_running_loop().create_future()
        order = next(self._counter) if seq is None else seq
        heapq.heappush(self._waiters, (int(priority), order, fut))
        return order, fut


class RateBudget(WaitingLine[_Entry]):
    """No more than ``rate`` request starts in any ``window + margin`` seconds.

    A plain token bucket with burst = rate would let ~2x rate through in one sliding second,
    and the Dashboard API counts every sliding second, so this keeps a log of the last starts
    instead. Waiters are served by priority, then first come first served; ``pause_until``
    stops everyone after a 429 until its Retry-After has elapsed. One budget per organisation,
    shared by every caller in the process. Times are the event loop's clock (``now()``).
    """

    def __init__(self, rate: float, window: float = 1.0, margin: float = 0.05) -> None:
        super().__init__(rate, window, margin)
        self._log: list[_Entry] = []
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at = math.inf

    def __repr__(self) -> str:
        return f"RateBudget(rate={self.rate}, window={self.window}, margin={self.margin})"

    async def acquire(
        self, priority: Priority = Priority.BACKGROUND, *, seq: int | None = None
    ) -> Slot:
        """Wait for a request start. Pass a previous slot's ``seq`` to keep its place in line."""
        order, fut = self._queue(priority, seq)
        self._dispatch()
        try:
            entry = await fut
        except asyncio.CancelledError:
            if fut.done() and not fut.cancelled():
                # Granted in the same tick we were cancelled: hand the start back.
                self._log.remove(fut.result())
            self._dispatch()
            raise
        return Slot(order, lambda: self._stamp(entry))

    def pause_until(self, when: float) -> None:
        """Grant nothing before ``when`` (loop time), e.g. after a 429's Retry-After."""
        if when > self._paused_until:
            self._paused_until = when
            self._dispatch()

    async def aclose(self) -> None:
        """Nothing to give back: the budget lives in this process only."""

    def _stamp(self, entry: _Entry) -> None:
        entry.stamp = self.now()
        self._dispatch()

    def _dispatch(self) -> None:
        now = self.now()
        span = self.window + self.margin
        self._log = [entry for entry in self._log if entry.stamp + span > now]
        wake = math.inf
        while self._waiters:
            if now < self._paused_until:
                wake = self._paused_until
                break
            if len(self._log) >= self.capacity:
                wake = min(entry.stamp for entry in self._log) + span
                break
            _, _, fut = heapq.heappop(self._waiters)
            if fut.done():
                continue
            entry = _Entry()
            self._log.append(entry)
            fut.set_result(entry)
        self._arm(wake)

    def _arm(self, wake: float) -> None:
        if wake == self._timer_at:
            return
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._timer_at = wake
        if wake != math.inf:
            self._timer = asyncio.get_running_loop().call_at(wake, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        self._timer_at = math.inf
        self._dispatch()
