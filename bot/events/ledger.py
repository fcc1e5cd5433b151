"""Stored events and alerts: an event from a webhook, and each room it is to be told to.

An alert row is written (with its audit row, in the same transaction) before anyone is
told anything, and moves pending → announced (heads-up posted) → clip_pending (clip job
stored); `open_alerts` lists those a restart must finish. A replica `claim`s an alert before
it tells anyone (column `owner`), so that alerts are taken over from dead replicas only.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, Engine, Row, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from bot.events.tables import alerts, hook_events, plate_sightings
from bot.messages import Place
from bot.store.records import AuditEntry
from bot.store.schema import audit_insert
from bot.store.work import fetch, write


class AlertStatus(StrEnum):
    PENDING = "pending"  # stored; nobody told yet
    ANNOUNCED = "announced"  # heads-up posted
    CLIP_PENDING = "clip_pending"  # the clip job is stored: bot.clips.deferred delivers it
    SUPPRESSED = "suppressed"  # the room heard of this plate within its cooldown
    MUTED = "muted"  # the room muted this plate
    HIDDEN = "hidden"  # the room may not see this camera
    FAILED = "failed"  # the heads-up could not be posted


OPEN = (AlertStatus.PENDING, AlertStatus.ANNOUNCED)


@dataclass(frozen=True)
class Alert:
    """One room to be told of one sighting or event, with the video around it."""

    id: int
    kind: str  # "plate" or "event"
    place: Place
    serial: str
    camera: str
    at: datetime  # the detection: the clip is centred on it
    pre_roll: timedelta
    post_roll: timedelta
    content: Mapping[str, Any]
    status: AlertStatus
    heads_up_id: str | None
    clip_job_id: str | None
    attempts: int
    created_at: datetime
    sighting_id: int | None = None


@dataclass(frozen=True)
class OpenAlert:
    """An alert not told to the end yet, and the replica that has claimed it (if one has)."""

    id: int
    owner: str | None
    created_at: datetime


@dataclass(frozen=True)
class NewAlert:
    """An alert decided but not yet stored."""

    place: Place
    status: AlertStatus
    content: Mapping[str, Any]
    reason: str | None = None


@dataclass(frozen=True)
class IncomingEvent:
    """A webhook event, parsed, before it is stored."""

    key: str
    source: str  # "meraki" or "generic"
    type: str
    title: str
    details: Mapping[str, str]
    serial: str | None
    camera: str | None
    network_id: str | None
    at: datetime | None
    pre_roll: timedelta
    post_roll: timedelta


def alert_values(
    kind: str,
    new: NewAlert,
    serial: str,
    camera: str,
    at: datetime,
    rolls: tuple[timedelta, timedelta],
    *,
    sighting_id: int | None = None,
    event_id: int | None = None,
) -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        "kind": kind,
        "platform": new.place.platform,
        "room_id": new.place.room_id,
        "sighting_id": sighting_id,
        "event_id": event_id,
        "serial": serial,
        "camera": camera,
        "at": at,
        "pre_roll_s": rolls[0].total_seconds(),
        "post_roll_s": rolls[1].total_seconds(),
        "content": dict(new.content),
        "status": new.status.value,
        "reason": new.reason,
        "heads_up_id": None,
        "clip_job_id": None,
        "attempts": 0,
        "created_at": now,
        "updated_at": now,
    }


def insert_alert(connection: Connection, values: Mapping[str, Any], entry: AuditEntry) -> int:
    row_id = connection.execute(insert(alerts).values(**values).returning(alerts.c.id)).scalar_one()
    connection.execute(audit_insert(entry))
    return int(row_id)


HEALTH_WAITING = "health"  # a camera status alert camera health has not judged yet
HEALTH_JUDGED = "health-judged"


@dataclass(frozen=True)
class HealthReport:
    """A stored camera status alert: the event's id, the camera, the alert type, its time."""

    event_id: int
    serial: str
    type: str
    at: datetime


class AlertLedger:
    """Events and alerts in the store; blocking work runs in worker threads."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    async def add_event(
        self, event: IncomingEvent, status: str, detail: str | None, routed: Sequence[NewAlert]
    ) -> tuple[int, list[int]] | None:
        """Store the event, its alerts and their audit rows at once; None if an event with
        the same key was stored before (a retried delivery)."""
        return await asyncio.to_thread(self._add_event, event, status, detail, routed)

    async def alert(self, alert_id: int) -> Alert | None:
        with_id = select(alerts).where(alerts.c.id == alert_id)
        rows = await fetch(self._engine, with_id)
        return _alert(rows[0]) if rows else None

    async def open_alerts(self) -> list[OpenAlert]:
        columns = select(alerts.c.id, alerts.c.owner, alerts.c.created_at)
        query = columns.where(alerts.c.status.in_([s.value for s in OPEN])).order_by(alerts.c.id)
        return [OpenAlert(r.id, r.owner, r.created_at) for r in await fetch(self._engine, query)]

    async def claim(self, alert_id: int, owner: str, *, previous: str | None = None) -> bool:
        """Make `owner` the alert's deliverer if it is still open and nobody holds it, or
        `owner` itself, or `previous` (a dead replica, taken over); False if another has it."""
        holders = [alerts.c.owner.is_(None), alerts.c.owner == owner]
        if previous is not None:
            holders.append(alerts.c.owner == previous)
        statement = (
            update(alerts)
            .where(alerts.c.id == alert_id, alerts.c.status.in_([s.value for s in OPEN]))
            .where(or_(*holders))
            .values(owner=owner)
        )
        return await write(self._engine, statement) == 1

    async def alerts(self, *, status: AlertStatus | None = None) -> list[Alert]:
        query = select(alerts).order_by(alerts.c.id)
        if status is not None:
            query = query.where(alerts.c.status == status.value)
        return [_alert(row) for row in await fetch(self._engine, query)]

    async def sighting_plate(self, sighting_id: int) -> tuple[str, float | None] | None:
        """The plate a sighting goes by now (its reads may have changed it), and how sure."""
        query = select(plate_sightings.c.plate, plate_sightings.c.confidence).where(
            plate_sightings.c.id == sighting_id
        )
        rows = await fetch(self._engine, query)
        return (rows[0].plate, rows[0].confidence) if rows else None

    async def told_of(self, sighting_ids: Sequence[int]) -> list[int]:
        """The alerts whose heads-up about these sightings is posted."""
        query = select(alerts.c.id).where(
            alerts.c.sighting_id.in_(list(sighting_ids)),
            alerts.c.status.in_([AlertStatus.ANNOUNCED.value, AlertStatus.CLIP_PENDING.value]),
        )
        return [row.id for row in await fetch(self._engine, query.order_by(alerts.c.id))]

    async def health_reports(self, limit: int = 500) -> list[HealthReport]:
        """Camera status alerts stored (by any replica) and not judged yet, oldest first."""
        query = (
            select(hook_events.c.id, hook_events.c.serial, hook_events.c.type, hook_events.c.at)
            .where(hook_events.c.status == HEALTH_WAITING)
            .order_by(hook_events.c.id)
            .limit(limit)
        )
        return [
            HealthReport(row.id, row.serial, row.type, row.at)
            for row in await fetch(self._engine, query)
        ]

    async def health_judged(self, event_ids: Sequence[int]) -> None:
        statement = (
            update(hook_events)
            .where(hook_events.c.id.in_(event_ids), hook_events.c.status == HEALTH_WAITING)
            .values(status=HEALTH_JUDGED)
        )
        await write(self._engine, statement)

    async def events(self) -> list[Row[Any]]:
        return await fetch(self._engine, select(hook_events).order_by(hook_events.c.id))

    async def advance(
        self, alert_id: int, status: AlertStatus, entry: AuditEntry, **changes: Any
    ) -> None:
        """Move an alert on, and audit it in the same transaction."""
        await asyncio.to_thread(self._advance, alert_id, status, entry, changes)

    async def count_attempt(self, alert_id: int, attempts: int, reason: str) -> None:
        statement = (
            update(alerts)
            .where(alerts.c.id == alert_id)
            .values(attempts=attempts, reason=reason, updated_at=datetime.now(UTC))
        )
        await write(self._engine, statement)

    def _add_event(
        self, event: IncomingEvent, status: str, detail: str | None, routed: Sequence[NewAlert]
    ) -> tuple[int, list[int]] | None:
        values = {
            "key": event.key,
            "source": event.source,
            "type": event.type,
            "serial": event.serial,
            "camera": event.camera,
            "network_id": event.network_id,
            "at": event.at,
            "received_at": datetime.now(UTC),
            "title": event.title,
            "details": dict(event.details),
            "status": status,
            "detail": detail,
        }
        try:
            with self._engine.begin() as connection:
                statement = insert(hook_events).values(**values).returning(hook_events.c.id)
                event_id = int(connection.execute(statement).scalar_one())
                connection.execute(audit_insert(_received(event, status)))
                ids = []
                for new in routed:
                    assert event.serial and event.camera and event.at
                    row = alert_values(
                        "event",
                        new,
                        event.serial,
                        event.camera,
                        event.at,
                        (event.pre_roll, event.post_roll),
                        event_id=event_id,
                    )
                    ids.append(insert_alert(connection, row, alert_entry(new, event.title)))
                return event_id, [i for i, n in zip(ids, routed, strict=True) if n.status in OPEN]
        except IntegrityError:
            return None  # the key is taken: this very event was stored before

    def _advance(
        self, alert_id: int, status: AlertStatus, entry: AuditEntry, changes: Mapping[str, Any]
    ) -> None:
        with self._engine.begin() as connection:
            connection.execute(
                update(alerts)
                .where(alerts.c.id == alert_id)
                .values(status=status.value, updated_at=datetime.now(UTC), **changes)
            )
            connection.execute(audit_insert(entry))


def _received(event: IncomingEvent, status: str) -> AuditEntry:
    return AuditEntry(
        platform="webhook",
        person_id=event.source,
        command=f"{event.type}: {event.title}"[:500],
        action="event.received",
        outcome="failed" if status == "failed" else "ok",
        detail=f"{status}; camera {event.camera or event.serial or '-'}",
    )


def alert_entry(new: NewAlert, what: str) -> AuditEntry:
    """The audit row of an alert decision: told (pending), or not and why."""
    outcome = {
        AlertStatus.PENDING: "pending",
        AlertStatus.HIDDEN: "refused",
    }.get(new.status, "ok")
    return AuditEntry(
        platform=new.place.platform,
        person_id="mvbot",
        place_id=new.place.room_id,
        command=what[:500],
        action="alert",
        outcome=outcome,
        detail=new.status.value + (f": {new.reason}" if new.reason else ""),
    )


def _alert(row: Row[Any]) -> Alert:
    return Alert(
        id=row.id,
        kind=row.kind,
        place=Place(row.platform, row.room_id),
        serial=row.serial,
        camera=row.camera,
        at=row.at,
        pre_roll=timedelta(seconds=row.pre_roll_s),
        post_roll=timedelta(seconds=row.post_roll_s),
        content=row.content,
        status=AlertStatus(row.status),
        heads_up_id=row.heads_up_id,
        clip_job_id=row.clip_job_id,
        attempts=row.attempts,
        created_at=row.created_at,
        sighting_id=row.sighting_id,
    )
