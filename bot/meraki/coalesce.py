"""Sharing one in-flight call among every caller that asks the same thing at once."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

T = TypeVar("T")


class _Shared(Generic[T]):
    __slots__ = ("callers", "task")

    def __init__(self, task: asyncio.Task[T]) -> None:
        self.task = task
        self.callers = 0


class Coalescer(Generic[T]):
    """Runs at most one call per key; later callers await the same result.

    A caller that is cancelled stops waiting without cancelling the call for the others;
    the call itself is cancelled only when nobody is left waiting for it.
    """

    def __init__(self) -> None:
        self._inflight: dict[Hashable, _Shared[T]] = {}

    def __len__(self) -> int:
        return len(self._inflight)

    async def run(self, key: Hashable, call: Callable[[], Awaitable[T]]) -> T:
        shared = self._inflight.get(key)
        if shared is None:
            shared = _Shared(asyncio.ensure_future(call()))
            self._inflight[key] = shared
            shared.task.add_done_callback(lambda _: self._forget(key, shared))
        shared.callers += 1
        try:
            return await asyncio.shield(shared.task)
        except asyncio.CancelledError:
            if not shared.task.done() and shared.callers == 1:
                shared.task.cancel()
            raise
        finally:
            shared.callers -= 1

    def _forget(self, key: Hashable, shared: _Shared[T]) -> None:
        if self._inflight.get(key) is shared:
            del self._inflight[key]
