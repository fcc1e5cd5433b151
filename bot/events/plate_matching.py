"""Which rooms hear of a sighting, and in which state each alert is stored (told, muted, …).

Runs inside the transaction that merges a read, so the alert rows (and their audit rows)
are in the store before anyone is told. Every confident read of the sighting is matched
against the watches (and allow-lists), not only the one that just arrived. A watch, follow
or unknown-plate alert with active hours counts only when the read's time, on the camera's
wall clock, is inside them; outside, the sighting is stored and searchable, and no room
hears of it.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Row, insert, select, update

from bot.events.ledger import AlertStatus, NewAlert, alert_entry, alert_values, insert_alert
from bot.events.lpr import PlatePattern, Tolerance, canonical, deletion_variants, in_cooldown
from bot.events.read_rows import StoredRead
from bot.events.tables import alerts, plate_cooldowns, plate_mutes
from bot.grammar.hours import Hours, parse_hours
from bot.messages import Place

MaySee = Callable[[tuple[str, ...], Place], bool]


@dataclass(frozen=True)
class CameraView:
    """What matching needs to know of the camera that read a plate."""

    serial: str
    name: str
    tags: tuple[str, ...] = ()
    zone: str = "UTC"  # IANA name: active hours are on this wall clock


@dataclass(frozen=True)
class PlateRules:
    window: timedelta = timedelta(seconds=10)
    cooldown: timedelta = timedelta(minutes=5)
    tolerance: Tolerance = field(default_factory=Tolerance)
    min_confidence: float = 0.0
    pre_roll: timedelta = timedelta(seconds=15)
    post_roll: timedelta = timedelta(seconds=15)


class SightingNow(NamedTuple):
    """A sighting as its reads so far have it (one a read: a tuple costs the least)."""

    id: int
    plate: str  # the best-supported spelling
    confidence: float | None
    plates: Collection[str]  # every spelling confident enough to alert a room


Patterned = tuple[Row[Any], PlatePattern]  # a watch or an allow row, and its parsed pattern


class PatternIndex:
    """Watches (or one room's allow-list), found by plate: a read is compared with the few
    whose plate shares a deletion variant with it (bot.events.lpr), not with every one, so
    that a hotlist or a staff list of thousands of plates costs a read what one plate does.
    Wildcard patterns are asked one by one (a site has a few)."""

    def __init__(self, rows: Sequence[Row[Any]], tolerance: Tolerance) -> None:
        self._tolerance = tolerance
        self._patterned = [(row, PlatePattern(row.pattern)) for row in rows]
        self._by_key: dict[str, list[int]] = {}  # deletion variant → positions in `rows`
        self._wildcards: list[int] = []
        for position, (_, pattern) in enumerate(self._patterned):
            if pattern.wildcard:
                self._wildcards.append(position)
                continue
            for key in self._keys(pattern.canonical):
                self._by_key.setdefault(key, []).append(position)

    def candidates(self, plates: Collection[str]) -> list[Patterned]:
        """The rows that may match one of `plates`, with their patterns, in the order they
        were given; a superset of those that do (PlatePattern.matches decides)."""
        found = set(self._wildcards)
        if self._by_key:
            for plate in plates:
                for key in self._by_key.keys() & self._keys(canonical(plate)):
                    found.update(self._by_key[key])
        if not found:  # most reads: nobody watches them
            return []
        return [self._patterned[i] for i in sorted(found)]

    def _keys(self, key: str) -> tuple[str, ...]:
        return deletion_variants(key, self._tolerance.distance, self._tolerance.min_length)


@dataclass(frozen=True)
class Interests:
    """What the rooms asked to hear of, loaded once per batch of reads."""

    watches: PatternIndex
    followers: Mapping[str, Sequence[Row[Any]]]  # serial → follows
    unknown: Mapping[str, Sequence[Row[Any]]] = field(default_factory=dict)  # serial → alerts
    allows: Mapping[tuple[str, str], PatternIndex] = field(default_factory=dict)


@dataclass
class _Room:
    watches: list[Row[Any]]
    follow: bool = False
    unknown: bool = False


@lru_cache(maxsize=4096)
def stored_hours(text: str | None) -> Hours | None:
    """A stored schedule; None (always) for none. Stored text was written by Hours.text."""
    return parse_hours(text) if text else None


def active(hours_text: str | None, local: datetime) -> bool:
    hours = stored_hours(hours_text)
    return hours is None or hours.contains(local)


def match_rooms(
    connection: Connection,
    read: StoredRead,
    sighting: SightingNow,
    camera: CameraView,
    rules: PlateRules,
    may_see: MaySee,
    interests: Interests,
) -> list[int]:
    """Store an alert for each room that cares and was not told of this sighting yet; the
    ids of those that are to be told."""
    watches = interests.watches.candidates(sighting.plates)
    follows = interests.followers.get(read.serial, ())
    unknowns = interests.unknown.get(read.serial, ())
    if not (watches or follows or unknowns):  # most reads of a busy site
        return []
    local = read.at.astimezone(ZoneInfo(camera.zone))
    rooms: dict[tuple[str, str], _Room] = {}
    for watch, pattern in watches:
        # Most watches have no hours: skip the schedule lookup for them (once per read).
        in_hours = watch.hours is None or active(watch.hours, local)
        if in_hours and _any_read(pattern, sighting, rules):
            rooms.setdefault((watch.platform, watch.room_id), _Room([])).watches.append(watch)
    for follow in follows:
        if active(follow.hours, local):
            rooms.setdefault((follow.platform, follow.room_id), _Room([])).follow = True
    for unknown in unknowns:
        room_key = (unknown.platform, unknown.room_id)
        allowed = any(
            active(allow.hours, local) and _any_read(pattern, sighting, rules)
            for allow, pattern in _candidates(interests.allows.get(room_key), sighting)
        )
        if active(unknown.hours, local) and not allowed:
            rooms.setdefault(room_key, _Room([])).unknown = True
    if not rooms:
        return []
    told = {
        (row.platform, row.room_id)
        for row in connection.execute(
            select(alerts.c.platform, alerts.c.room_id).where(alerts.c.sighting_id == sighting.id)
        )
    }
    ready: list[int] = []
    for (platform, room_id), room in rooms.items():
        if (platform, room_id) in told:
            continue  # one sighting, one heads-up per room, however many reads follow
        place = Place(platform, room_id)
        new = _decide(connection, place, room, read, sighting, camera, rules, may_see)
        values = alert_values(
            "plate",
            new,
            read.serial,
            camera.name,
            read.at,
            (rules.pre_roll, rules.post_roll),
            sighting_id=sighting.id,
        )
        what = f"plate {sighting.plate} at {camera.name}"
        alert_id = insert_alert(connection, values, alert_entry(new, what))
        if new.status is AlertStatus.PENDING:
            ready.append(alert_id)
    return ready


def _decide(
    connection: Connection,
    place: Place,
    room: _Room,
    read: StoredRead,
    sighting: SightingNow,
    camera: CameraView,
    rules: PlateRules,
    may_see: MaySee,
) -> NewAlert:
    content = {
        "plate": sighting.plate,
        "raw": read.raw if read.plate == sighting.plate else sighting.plate,
        "confidence": sighting.confidence,
        "region": read.region,
        "watches": [{"pattern": w.pattern, "note": w.note} for w in room.watches],
        "follow": room.follow,
        "unknown": room.unknown,
    }
    if not may_see(camera.tags, place):
        return NewAlert(place, AlertStatus.HIDDEN, content, f"{camera.name} is restricted")
    mutes = connection.execute(
        select(plate_mutes).where(
            plate_mutes.c.platform == place.platform,
            plate_mutes.c.room_id == place.room_id,
            plate_mutes.c.until > datetime.now(UTC),
        )
    ).all()
    keys_read = {canonical(p) for p in sighting.plates}
    if any(rules.tolerance.same(m.canonical, key) for m in mutes for key in keys_read):
        return NewAlert(place, AlertStatus.MUTED, content, "muted in this room")
    keys: dict[str, timedelta] = {
        f"watch:{w.id}": timedelta(seconds=w.cooldown_s)
        if w.cooldown_s is not None
        else rules.cooldown
        for w in room.watches
    }
    if room.follow:
        keys[f"follow:{read.serial}:{canonical(sighting.plate)}"] = rules.cooldown
    if room.unknown:
        keys[f"unknown:{read.serial}:{canonical(sighting.plate)}"] = rules.cooldown
    last = {
        row.key: row.last_at
        for row in connection.execute(
            select(plate_cooldowns).where(
                plate_cooldowns.c.platform == place.platform,
                plate_cooldowns.c.room_id == place.room_id,
                plate_cooldowns.c.key.in_(list(keys)),
            )
        )
    }
    if all(in_cooldown(last.get(key), read.at, cooldown) for key, cooldown in keys.items()):
        return NewAlert(place, AlertStatus.SUPPRESSED, content, "within the cooldown")
    for key in keys:
        _remember(connection, place, key, read.at, key in last)
    return NewAlert(place, AlertStatus.PENDING, content)


def _candidates(index: PatternIndex | None, sighting: SightingNow) -> list[Patterned]:
    return index.candidates(sighting.plates) if index is not None else []


def _any_read(pattern: PlatePattern, sighting: SightingNow, rules: PlateRules) -> bool:
    return any(pattern.matches(plate, rules.tolerance) for plate in sighting.plates)


def _remember(connection: Connection, place: Place, key: str, at: datetime, known: bool) -> None:
    if known:
        connection.execute(
            update(plate_cooldowns)
            .where(
                plate_cooldowns.c.platform == place.platform,
                plate_cooldowns.c.room_id == place.room_id,
                plate_cooldowns.c.key == key,
            )
            .values(last_at=at)
        )
    else:
        connection.execute(
            insert(plate_cooldowns).values(
                platform=place.platform, room_id=place.room_id, key=key, last_at=at
            )
        )
