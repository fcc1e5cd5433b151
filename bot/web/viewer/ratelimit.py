"""Per-client-address request limits for the share viewer: a token bucket per address."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

_PRUNE_AT = 10_000  # addresses remembered before idle ones are forgotten


@dataclass
class _Bucket:
    tokens: float
    at: float


class RateLimiter:
    """`per_minute` requests per address on average, with bursts of a quarter of that (at
    least 20: opening the page fetches the page, its script and the first segments at once)."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        if per_minute < 1:
            raise ValueError("per_minute must be at least 1")
        self._rate = per_minute / 60.0
        self._capacity = float(max(20, per_minute // 4))
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}

    def wait(self, address: str) -> float:
        """0 when a request from `address` may go ahead now (and counts it); otherwise the
        seconds until it may."""
        now = self._clock()
        bucket = self._buckets.get(address)
        if bucket is None:
            if len(self._buckets) >= _PRUNE_AT:
                self._prune(now)
            bucket = self._buckets[address] = _Bucket(self._capacity, now)
        bucket.tokens = min(self._capacity, bucket.tokens + (now - bucket.at) * self._rate)
        bucket.at = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return 0.0
        return (1.0 - bucket.tokens) / self._rate

    def _prune(self, now: float) -> None:
        full = self._capacity / self._rate
        for address in [a for a, b in self._buckets.items() if now - b.at > full]:
            del self._buckets[address]
