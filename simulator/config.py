"""Settings of one simulated Meraki cloud: API key, rate limit, media timing and faults."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Faults:
    """Misbehaviour injected into Dashboard API requests (media downloads are spared).

    Each probability applies per request, drawn from a RNG seeded with `seed`
    (None: a fresh random seed), so a fault sequence can be replayed.
    """

    error_rate: float = 0.0  # answer 500 or 503 instead of the real response
    latency: float = 0.0  # seconds added before every answer
    drop_rate: float = 0.0  # start the answer, then drop the connection
    seed: int | None = None

    def __post_init__(self) -> None:
        for name in ("error_rate", "drop_rate"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"Faults.{name} must be between 0 and 1, not {value}")
        if self.latency < 0:
            raise ValueError(f"Faults.latency must not be negative, not {self.latency}")


@dataclass(frozen=True)
class SimulatorConfig:
    """How the simulated cloud behaves; every field has the real cloud's usual value."""

    api_key: str = "demo-key"
    rate: float = 5.0  # accepted API requests per organisation in any one-second window
    availability_lag: float = 60.0  # seconds before footage can be fetched as a clip
    url_ttl: float = 300.0  # lifetime of clip and snapshot download URLs, seconds
    snapshot_ready_delay: float = 1.0  # a snapshot URL answers 404 this long after generation
    fps: int = 5
    width: int = 480
    height: int = 270
    faults: Faults = field(default_factory=Faults)
    clock: Callable[[], float] = field(default=time.time)  # "now" for footage and URLs
    cache_dir: Path | None = None  # generated clips; None: a temporary directory
    clip_cache_size: int = 64  # clips kept on disk, least recently used evicted

    def __post_init__(self) -> None:
        if self.rate <= 0:
            raise ValueError("rate must be positive")
        if self.fps < 1 or self.fps > 30:
            raise ValueError("fps must be between 1 and 30")
        if self.width < 96 or self.height < 64 or self.width % 2 or self.height % 2:
            raise ValueError("width and height must be even and at least 96x64")
        if self.clip_cache_size < 1:
            raise ValueError("clip_cache_size must be at least 1")
