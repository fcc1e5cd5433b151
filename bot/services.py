"""The dependencies a command handler may use, handed over explicitly (no globals)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path

from bot.access import AccessPolicy
from bot.cameras.catalog import CameraCatalog
from bot.config import ClipsSettings
from bot.footage import DashboardLinks, FootageLog
from bot.meraki import MerakiClient
from bot.outbox import Outbox
from bot.scheduler import Scheduler
from bot.store import Store
from bot.telemetry.metrics import Metrics


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Services:
    meraki: MerakiClient
    catalog: CameraCatalog
    store: Store
    scheduler: Scheduler
    outbox: Outbox
    access: AccessPolicy
    files: Path  # where clips and snapshots are written
    clips: ClipsSettings = field(default_factory=ClipsSettings)
    # Time zones people speak in, when it is not the camera's: room id / person id or email.
    room_zones: Mapping[str, str] = field(default_factory=dict)
    person_zones: Mapping[str, str] = field(default_factory=dict)
    metrics: Metrics = field(default_factory=Metrics)
    clock: Callable[[], datetime] = utc_now

    @cached_property
    def footage(self) -> FootageLog:
        """Every file delivered (bot.footage): exports, incidents, clips and snapshots call
        `footage.record(key, DeliveredFile(...))` once the post carrying it went out."""
        return FootageLog(self.store.engine, lambda: self.clock())

    @cached_property
    def dashboard(self) -> DashboardLinks:
        """ "Open in Dashboard" links, in the rooms marked as dashboard-user rooms."""
        return DashboardLinks(self.store.engine, self.meraki, lambda: self.clock())
