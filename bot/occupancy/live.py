"""Live Sense counts as MQTT delivers them: parsing topics, and the latest reading per zone."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

log = logging.getLogger(__name__)

# `/merakimv/{serial}/{zoneId}`: zone ids are digits ("0" is the whole frame). The same
# prefix also carries raw_detections, light, audio_* and plate topics, which are not counts.
_ZONE_TOPIC = re.compile(r"^/?merakimv/(?P<serial>[^/]+)/(?P<zone>\d+)$")
# Counts beyond this are a broken message rather than a crowd.
_MAX_COUNT = 100_000


@dataclass(frozen=True)
class SenseUpdate:
    """One Sense zone message: how many objects of each type a zone held at `ts_ms`."""

    serial: str
    zone_id: str
    ts_ms: int
    counts: Mapping[str, int]

    @property
    def at(self) -> datetime:
        # Whole milliseconds, exactly: a float division would land a microsecond short.
        seconds, millis = divmod(self.ts_ms, 1000)
        return datetime.fromtimestamp(seconds, UTC) + timedelta(milliseconds=millis)


def parse_sense_message(topic: str, payload: bytes | str) -> SenseUpdate | None:
    """The update a `/merakimv/{serial}/{zoneId}` message carries; None for anything else.

    Pure and cheap: the ingest calls it for every message under `/merakimv/`, including
    the high-volume raw_detections topic, which is rejected by its topic before any parsing.
    """
    match = _ZONE_TOPIC.match(topic)
    if match is None:
        return None
    try:
        body = json.loads(payload)
    except (ValueError, UnicodeDecodeError):
        log.debug("sense message is not JSON topic=%s", topic)
        return None
    if not isinstance(body, dict):
        return None
    ts, counts = body.get("ts"), body.get("counts")
    if isinstance(ts, bool) or not isinstance(ts, int | float) or not isinstance(counts, dict):
        return None
    parsed: dict[str, int] = {}
    for kind, value in counts.items():
        if isinstance(value, bool) or not isinstance(value, int | float):
            return None
        if not 0 <= value <= _MAX_COUNT:
            return None
        parsed[str(kind)] = int(value)
    return SenseUpdate(match["serial"], match["zone"], int(ts), parsed)


@dataclass(frozen=True)
class Reading:
    """The latest counts of one zone, and when the camera measured them."""

    at: datetime
    counts: Mapping[str, int]


Listener = Callable[[SenseUpdate], None]


class LiveCounts:
    """The latest MQTT reading of every zone, in memory, with a notion of freshness.

    `update` must run on the event loop (a network thread hands messages over with
    `loop.call_soon_threadsafe(live.apply, update)`); listeners are called synchronously
    with each accepted update and must only queue work. `configured` says whether an
    MQTT ingest feeds this map at all, so a reply can say why it used REST instead.
    """

    def __init__(
        self,
        *,
        staleness: timedelta,
        clock: Callable[[], datetime],
        configured: bool = False,
    ) -> None:
        self.staleness = staleness
        self.configured = configured
        self._clock = clock
        self._readings: dict[str, dict[str, Reading]] = {}
        self._listeners: list[Listener] = []

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def update(self, serial: str, zone_id: str, ts_ms: int, counts: Mapping[str, int]) -> None:
        self.apply(SenseUpdate(serial, zone_id, ts_ms, dict(counts)))

    def apply(self, update: SenseUpdate) -> None:
        zones = self._readings.setdefault(update.serial, {})
        known = zones.get(update.zone_id)
        at = update.at
        # QoS 0 and reconnects can deliver late or twice; an older message never wins.
        if known is not None and at < known.at:
            return
        zones[update.zone_id] = Reading(at, dict(update.counts))
        for listener in self._listeners:
            listener(update)

    def readings(self, serial: str) -> dict[str, Reading]:
        """Every zone's latest reading for a camera, fresh or not."""
        return dict(self._readings.get(serial, {}))

    def is_fresh(self, reading: Reading) -> bool:
        return self._clock() - reading.at <= self.staleness

    def fresh(self, serial: str, zone_ids: list[str]) -> dict[str, Reading] | None:
        """The readings of all of `zone_ids` when every one is fresh, else None."""
        zones = self._readings.get(serial, {})
        found = {z: zones[z] for z in zone_ids if z in zones and self.is_fresh(zones[z])}
        return found if zone_ids and len(found) == len(zone_ids) else None

    def last_seen(self, serial: str) -> datetime | None:
        zones = self._readings.get(serial)
        return max((r.at for r in zones.values()), default=None) if zones else None
