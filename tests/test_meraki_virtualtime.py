"""A virtual-time event loop for the Meraki client's unit tests, and tests of the loop itself.

When nothing is ready to run, the loop jumps its clock to the next timer instead of
sleeping, so a test of a 5/s budget or a 120 s Retry-After wait finishes at once while
asyncio.sleep, timeouts and call_at keep their exact semantics. The clock stands still
while a worker thread (asyncio.to_thread) runs. Not for code doing socket I/O: use
httpx.MockTransport.
"""

from __future__ import annotations

import asyncio
import selectors
import time
from asyncio import Future
from collections.abc import Callable, Coroutine
from concurrent.futures import Executor
from typing import Any, TypeVar, TypeVarTuple

T = TypeVar("T")
Ts = TypeVarTuple("Ts")


class _JumpingSelector(selectors.DefaultSelector):
    def __init__(self, loop: VirtualTimeLoop) -> None:
        super().__init__()
        self._loop = loop

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        if self._loop.threads_busy:
            # A worker thread (asyncio.to_thread) is running in real time: wait for it.
            return super().select(timeout)
        events = super().select(0 if timeout is not None else None)
        if not events and timeout is not None and timeout > 0:
            self._loop.advance(timeout)
        return events


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    def __init__(self) -> None:
        self._now = 0.0
        self.threads_busy = 0
        super().__init__(selector=_JumpingSelector(self))

    def time(self) -> float:
        return self._now

    def run_in_executor(
        self, executor: Executor | None, func: Callable[[*Ts], T], *args: *Ts
    ) -> Future[T]:
        future = super().run_in_executor(executor, func, *args)
        self.threads_busy += 1
        future.add_done_callback(self._thread_done)
        return future

    def _thread_done(self, _: object) -> None:
        self.threads_busy -= 1

    def advance(self, seconds: float) -> None:
        self._now += seconds


def run_virtual(main: Coroutine[Any, Any, T]) -> T:
    """Run ``main`` to completion on a fresh virtual-time loop."""
    loop = VirtualTimeLoop()
    try:
        return loop.run_until_complete(main)
    finally:
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()


def test_sleeping_an_hour_takes_no_real_time() -> None:
    async def main() -> float:
        loop = asyncio.get_running_loop()
        await asyncio.sleep(3600)
        return loop.time()

    assert run_virtual(main()) == 3600


def test_timers_fire_in_order_of_virtual_time() -> None:
    async def main() -> list[str]:
        fired: list[str] = []
        loop = asyncio.get_running_loop()
        loop.call_later(2.0, fired.append, "late")
        loop.call_later(1.0, fired.append, "early")
        await asyncio.sleep(3)
        return fired

    assert run_virtual(main()) == ["early", "late"]


def test_the_clock_stands_still_while_a_thread_works() -> None:
    async def main() -> float:
        loop = asyncio.get_running_loop()
        async with asyncio.timeout(1):
            await asyncio.to_thread(time.sleep, 0.05)
        return loop.time()

    assert run_virtual(main()) == 0


def test_timeouts_expire_in_virtual_time() -> None:
    async def main() -> float:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(30):
                await asyncio.Event().wait()
        except TimeoutError:
            return loop.time()
        return -1.0

    assert run_virtual(main()) == 30
