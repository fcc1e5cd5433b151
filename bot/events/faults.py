"""Telling the store's failures (wait, then try the same work again) from one item's (set it
aside), and the waits between tries.

A store that is down fails everything alike and must not cost any message its place; a
message the store refuses, or a read whose processing raises, fails alone and must not hold
up the ones behind it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError, TimeoutError

# The database is unreachable, locked, out of space or restarting: nothing is wrong with
# the work itself.
_TRANSIENT = (
    OperationalError,
    InterfaceError,
    DisconnectionError,
    TimeoutError,
    OSError,
    ConnectionError,
)


def is_transient(error: BaseException) -> bool:
    """Whether `error` says the store is unavailable, rather than that the work is bad."""
    return isinstance(error, _TRANSIENT)


@dataclass(frozen=True)
class Backoff:
    """Waits that double from `first` up to `longest` seconds."""

    first: float = 0.5
    longest: float = 30.0

    def wait(self, attempt: int) -> float:
        """The wait after failed attempt number `attempt` (1 for the first failure)."""
        return min(self.first * 2.0 ** max(attempt - 1, 0), self.longest)
