"""What a running simulator remembers: request log, rate window, faults and media grants."""

from __future__ import annotations

import math
import random
import secrets
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from simulator.config import Faults
from simulator.fleet import OfflineWindow

_MAX_RECORDS = 200_000  # a long-running simulator forgets the oldest half past this
_GRANT_MEMORY = 3600.0  # expired media URLs answer 403 this long, then 404


@dataclass(frozen=True)
class RequestRecord:
    """One /api/v1 request: admission time (wall clock), answer status, organisation.

    status 0 means a fault dropped the connection mid-answer; org_id is None when
    the API key was refused.
    """

    at: float
    method: str
    path: str
    status: int
    org_id: str | None


class RateWindow:
    """Per-organisation limit of accepted requests in any sliding one-second window."""

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self._accepted: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def admit(self, org_id: str, now: float) -> int | None:
        """None if the request is accepted (and counted), else the Retry-After seconds."""
        with self._lock:
            window = self._accepted.setdefault(org_id, deque())
            while window and window[0] <= now - 1.0:
                window.popleft()
            if len(window) < self.rate:
                window.append(now)
                return None
            # A slot frees when the oldest accepted request leaves the window.
            return max(1, math.ceil(window[0] + 1.0 - now))


@dataclass(frozen=True)
class MediaGrant:
    """A download URL handed out by the clip or snapshot endpoint (times from cfg.clock)."""

    kind: str  # "clip" or "snapshot"
    serial: str
    imager: int
    start_ms: int
    end_ms: int  # snapshots: equal to start_ms
    fullframe: bool
    expires_at: float
    ready_at: float


class SimulatorState:
    """Shared by the server loop and the tests' threads; every mutation holds a lock."""

    def __init__(self, faults: Faults, rate: float) -> None:
        self.requests: list[RequestRecord] = []
        self.rate = RateWindow(rate)
        self._lock = threading.Lock()
        self._faults = faults
        self._rng = random.Random(faults.seed)
        self._grants: dict[str, MediaGrant] = {}
        # Requests the latency fault is holding back right now, for tests that act while a
        # client waits (a crash mid-request) without sleeping.
        self.delayed: list[RequestRecord] = []
        self._delayed_changed = threading.Condition(self._lock)
        # Outages begun at run time (the control routes), beside the fleet file's windows.
        self._outages: dict[str, list[OfflineWindow]] = {}

    @property
    def faults(self) -> Faults:
        return self._faults

    @faults.setter
    def faults(self, faults: Faults) -> None:
        with self._lock:
            self._faults = faults
            self._rng = random.Random(faults.seed)

    def take_offline(self, serial: str, now: float) -> None:
        """Begin an outage of `serial` at `now` (nothing if one is under way)."""
        with self._lock:
            windows = self._outages.setdefault(serial, [])
            if not windows or windows[-1].end is not None:
                windows.append(OfflineWindow(start=now))

    def bring_online(self, serial: str, now: float) -> None:
        """End the outage of `serial` under way, if any, at `now`."""
        with self._lock:
            windows = self._outages.get(serial, [])
            if windows and windows[-1].end is None:
                windows[-1] = OfflineWindow(start=windows[-1].start, end=now)

    def outages(self, serial: str) -> tuple[OfflineWindow, ...]:
        with self._lock:
            return tuple(self._outages.get(serial, ()))

    def draw(self) -> float:
        """The next number of the fault RNG, in [0, 1)."""
        with self._lock:
            return self._rng.random()

    def record(self, record: RequestRecord) -> None:
        with self._lock:
            self.requests.append(record)
            if len(self.requests) > _MAX_RECORDS:
                del self.requests[: _MAX_RECORDS // 2]

    def delay(self, record: RequestRecord) -> None:
        with self._delayed_changed:
            self.delayed.append(record)
            self._delayed_changed.notify_all()

    def undelay(self, record: RequestRecord) -> None:
        with self._delayed_changed:
            self.delayed.remove(record)
            self._delayed_changed.notify_all()

    def wait_delayed(
        self, match: Callable[[list[RequestRecord]], bool], timeout: float
    ) -> list[RequestRecord]:
        """Block until `match(delayed)` holds (a snapshot of the list); TimeoutError if
        `timeout` seconds pass first. Call it from a thread, not the server's loop."""
        with self._delayed_changed:
            if not self._delayed_changed.wait_for(lambda: match(list(self.delayed)), timeout):
                raise TimeoutError("the simulator never held those requests")
            return list(self.delayed)

    def grant(self, grant: MediaGrant, now: float) -> str:
        """Register a download and return its unguessable token (192 random bits)."""
        token = secrets.token_urlsafe(24)
        with self._lock:
            stale = [t for t, g in self._grants.items() if g.expires_at < now - _GRANT_MEMORY]
            for t in stale:
                del self._grants[t]
            self._grants[token] = grant
        return token

    def lookup(self, token: str) -> MediaGrant | None:
        with self._lock:
            return self._grants.get(token)
