"""Webhook bodies → stored events → one stored alert per room → delivery.

A Meraki alert and a generic event (docs/events.md) are parsed into one IncomingEvent,
stored with their alerts and audit rows in one transaction, and only then answered; the
alerts are delivered afterwards (bot.events.announce). The same body delivered twice (a sender's
retry) is stored once.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.access import AccessPolicy
from bot.cameras.catalog import CameraCatalog
from bot.cameras.directory import CameraLookupError, CameraRecord
from bot.config.sections import EventsSettings, SensorsSettings
from bot.events.announce import Alerts
from bot.events.decode import epoch_moment
from bot.events.hook_fields import (
    MAX_CAMERA,
    MAX_DETAIL,
    MAX_NETWORK,
    MAX_ROOMS,
    MAX_SERIAL,
    MAX_TITLE,
    MAX_TYPE,
    InvalidEvent,
    bounded_text,
    in_range,
    room_text,
)
from bot.events.ledger import HEALTH_WAITING, AlertLedger, AlertStatus, IncomingEvent, NewAlert
from bot.events.routing import EventFacts, parse_room, routed_rooms
from bot.events.sensor_intake import SensorNews, meraki_sensor
from bot.events.sensor_links import MAX_SENSOR, SensorLinks, configured
from bot.messages import Place
from bot.telemetry.metrics import Metrics

log = logging.getLogger(__name__)

MAX_ROLL = timedelta(minutes=5)
# Told when a Meraki alert says a camera went offline or came back (bot.health), once the
# alert is stored: (its stored event's id, serial, "offline" or "online", when).
CameraStatus = Callable[[int, str, str, datetime], Awaitable[None]]


@dataclass(frozen=True)
class Answer:
    """What the webhook caller is told."""

    status: int
    body: dict[str, Any] = field(default_factory=dict)


class EventIntake:
    def __init__(
        self,
        settings: EventsSettings,
        ledger: AlertLedger,
        alerts: Alerts,
        catalog: CameraCatalog,
        access: AccessPolicy,
        metrics: Metrics,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        *,
        sensors: tuple[SensorsSettings, SensorLinks] | None = None,
        camera_status: tuple[Mapping[str, str], CameraStatus] | None = None,
    ) -> None:
        self.settings = settings
        self.sensors = sensors
        self.camera_status = camera_status
        self.clock = clock
        self.ledger = ledger
        self.alerts = alerts
        self.catalog = catalog
        self.access = access
        self.metrics = metrics

    async def meraki(self, data: Mapping[str, Any], raw: bytes) -> Answer:
        """A Meraki webhook alert; any alert with a camera serial and a time gets a clip."""
        serial = bounded_text(data, "deviceSerial", MAX_SERIAL)
        # alertType is Meraki's wording for people: cut to fit, where an id is refused.
        title = (_text(data.get("alertType")) or "")[:MAX_TITLE]
        kind = bounded_text(data, "alertTypeId", MAX_TYPE) or title[:MAX_TYPE] or "alert"
        alert_data = data.get("alertData")
        stamp = alert_data.get("timestamp") if isinstance(alert_data, dict) else None
        at = self._when(stamp, "alertData.timestamp") if stamp is not None else None
        if at is None and data.get("occurredAt") is not None:
            at = self._when(data.get("occurredAt"), "occurredAt")
        details = {
            key: str(data[key])[:MAX_DETAIL]
            for key in ("alertLevel", "deviceName", "networkName", "alertId")
            if data.get(key) not in (None, "")
        }
        # A retried delivery carries a new sentAt: the alert itself identifies it.
        identity = [data.get(k) for k in ("alertId", "alertTypeId", "deviceSerial", "occurredAt")]
        key = (
            hashlib.sha256(json.dumps(["meraki", *identity], default=str).encode()).hexdigest()
            if data.get("alertId")
            else hashlib.sha256(b"meraki\0" + raw).hexdigest()
        )
        event = IncomingEvent(
            key=key,
            source="meraki",
            type=kind,
            title=title or kind,
            details=details,
            serial=serial.upper() if serial else None,
            camera=None,
            network_id=bounded_text(data, "networkId", MAX_NETWORK),
            at=at,
            pre_roll=self.settings.meraki_pre_roll,
            post_roll=self.settings.meraki_post_roll,
        )
        if self.sensors is not None and kind in self.sensors[0].alert_types:
            news = meraki_sensor(data, self.sensors[0])
            if news.stamp is not None:
                event = replace(event, at=self._when(news.stamp, "trigger ts") or event.at)
            return await self._sensor(event, news, None)
        if event.serial is None or event.at is None:
            return await self._store(event, "ignored", "no camera serial and time", [])
        if self.camera_status is not None and kind in self.camera_status[0]:
            return await self._status(event, self.camera_status[0][kind])
        directory = await self.catalog.directory()
        record = directory.get(event.serial)
        if record is None:
            return await self._store(event, "ignored", "not a camera of this organisation", [])
        return await self._route(_with_camera(event, record), record, None)

    async def generic(self, data: Mapping[str, Any], raw: bytes) -> Answer:
        """mvbot's own event JSON (docs/events.md): access control, POS, IoT; an event that
        names a `sensor` instead of a camera goes to the cameras linked to it."""
        sensor = _text(data.get("sensor")) if "camera" not in data else None
        if sensor is not None and len(sensor) > MAX_SENSOR:
            raise InvalidEvent(f"'sensor' is longer than {MAX_SENSOR} characters")
        camera = sensor or _required_text(data, "camera")
        if len(camera) > MAX_CAMERA:
            raise InvalidEvent(f"'camera' is longer than {MAX_CAMERA} characters")
        title = _required_text(data, "title")[:MAX_TITLE]
        if "time" not in data:
            raise InvalidEvent("'time' is missing: ISO 8601 with a zone, or epoch seconds")
        at = self._when(data["time"], "time")
        if at is None:
            raise InvalidEvent("'time' must be ISO 8601 with a zone, or epoch seconds")
        rooms = _rooms(data.get("rooms"))
        pre = _roll(data, "pre_roll", self.settings.pre_roll)
        post = _roll(data, "post_roll", self.settings.post_roll)
        if pre + post <= timedelta(0):
            raise InvalidEvent("pre_roll + post_roll must be more than 0 s")
        source_id = _text(data.get("id"))
        key = (
            hashlib.sha256(b"generic-id\0" + source_id.encode()).hexdigest()
            if source_id
            else hashlib.sha256(b"generic\0" + raw).hexdigest()
        )
        event = IncomingEvent(
            key=key,
            source="generic",
            type=(_text(data.get("type")) or "event")[:MAX_TYPE],
            title=title,
            details=_details(data.get("details")),
            serial=None,
            camera=camera,
            network_id=None,
            at=at,
            pre_roll=pre,
            post_roll=post,
        )
        if sensor is not None:
            news = SensorNews((sensor,), sensor, title, {"sensor": sensor, **event.details}, None)
            return await self._sensor(replace(event, camera=None), news, rooms)
        directory = await self.catalog.directory()
        try:
            record = directory.resolve(camera)
        except CameraLookupError as error:
            answer = await self._store(event, "failed", str(error), [])
            if answer.body.get("status") == "duplicate":
                return answer
            return Answer(422, {**answer.body, "error": str(error)})
        return await self._route(_with_camera(event, record), record, rooms)

    async def _status(self, event: IncomingEvent, status: str) -> Answer:
        """A camera offline/back alert: stored, then handed to camera health to debounce."""
        assert self.camera_status is not None and event.serial and event.at
        answer = await self._store(event, HEALTH_WAITING, f"camera {status}", [])
        if answer.body.get("status") != "duplicate":
            await self.camera_status[1](answer.body["event"], event.serial, status, event.at)
        return answer

    async def _sensor(
        self, event: IncomingEvent, news: SensorNews, named: list[Place] | None
    ) -> Answer:
        """One alert per room for all the cameras linked to the sensor; an unknown sensor's
        event is stored and counted, and nobody is told."""
        event = replace(event, details={**event.details, **news.details})
        assert self.sensors is not None
        settings, links = self.sensors
        wanted = configured(settings.links, news.names) + await links.cameras(news.names)
        directory = await self.catalog.directory()
        records: dict[str, CameraRecord] = {}
        for name in wanted:
            try:
                record = directory.resolve(name)
            except CameraLookupError:
                log.warning("a sensor link names no camera sensor=%s camera=%s", news.label, name)
                continue
            records.setdefault(record.serial, record)
        if event.at is None:
            return await self._store(event, "ignored", "no time", [])
        if not records:
            self.metrics.inc("mvbot_sensor_events_total", status="unknown")
            why = f"no camera is linked to sensor {news.label}"[:500]
            return await self._store(replace(event, serial=None), "unknown_sensor", why, [])
        self.metrics.inc("mvbot_sensor_events_total", status="linked")
        first = next(iter(records.values()))
        event = replace(event, title=news.title if event.source == "meraki" else event.title)
        event = _with_camera(event, first)
        return await self._route_sensor(event, news.label, list(records.values()), named)

    async def _route_sensor(
        self,
        event: IncomingEvent,
        sensor: str,
        records: Sequence[CameraRecord],
        named: list[Place] | None,
    ) -> Answer:
        rooms: list[Place] = list(named or [])
        if named is None:
            for record in records:
                facts = EventFacts(
                    record.serial, record.name, record.network_id, record.network_name, event.type
                )
                rooms += [r for r in routed_rooms(facts, self.settings.routes) if r not in rooms]
        routed = []
        for room in rooms:
            seen = [r for r in records if self.access.may_see(r.tags, room)]
            content = {
                "title": event.title,
                "type": event.type,
                "source": event.source,
                "details": dict(event.details),
                "sensor": sensor,
                "cameras": [{"serial": r.serial, "name": r.name} for r in seen],
            }
            if seen:
                routed.append(NewAlert(room, AlertStatus.PENDING, content))
            else:
                why = f"no camera linked to {sensor} is visible there"
                routed.append(NewAlert(room, AlertStatus.HIDDEN, content, why))
        status = "routed" if routed else "unrouted"
        return await self._store(event, status, None if routed else "no rule names a room", routed)

    def _when(self, value: Any, name: str) -> datetime | None:
        """The moment a field names, refused when it is out of range; None if not a time."""
        moment = _moment(value)
        return None if moment is None else in_range(moment, name, self.clock())

    async def _route(
        self, event: IncomingEvent, record: CameraRecord, named: list[Place] | None
    ) -> Answer:
        facts = EventFacts(
            record.serial, record.name, record.network_id, record.network_name, event.type
        )
        rooms = named if named is not None else routed_rooms(facts, self.settings.routes)
        content = {
            "title": event.title,
            "type": event.type,
            "source": event.source,
            "details": dict(event.details),
        }
        routed = [
            NewAlert(room, AlertStatus.PENDING, content)
            if self.access.may_see(record.tags, room)
            else NewAlert(room, AlertStatus.HIDDEN, content, f"{record.name} is restricted")
            for room in rooms
        ]
        status = "routed" if routed else "unrouted"
        return await self._store(event, status, None if routed else "no rule names a room", routed)

    async def _store(
        self, event: IncomingEvent, status: str, detail: str | None, routed: list[NewAlert]
    ) -> Answer:
        stored = await self.ledger.add_event(event, status, detail, routed)
        self.metrics.inc("mvbot_events_total", source=event.source, status=status)
        if stored is None:
            return Answer(200, {"status": "duplicate"})
        event_id, alert_ids = stored
        for alert_id in alert_ids:
            self.alerts.post(alert_id)
        log.info("event stored id=%s source=%s status=%s", event_id, event.source, status)
        code = 202 if alert_ids else 200
        return Answer(code, {"status": status, "event": event_id, "rooms": len(alert_ids)})


def _with_camera(event: IncomingEvent, record: CameraRecord) -> IncomingEvent:
    return replace(
        event,
        serial=record.serial,
        camera=record.name,
        network_id=event.network_id or record.network_id,
    )


def _text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _required_text(data: Mapping[str, Any], name: str) -> str:
    value = _text(data.get(name))
    if value is None:
        raise InvalidEvent(f"'{name}' is missing or not a string")
    return value


def _moment(value: Any) -> datetime | None:
    """ISO 8601 with a zone, or epoch seconds (milliseconds when larger than 1e11)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return epoch_moment(value)
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip())
            return moment.astimezone(UTC) if moment.tzinfo else None
        except (ValueError, OverflowError):  # OverflowError: year 9999 west of UTC
            return None
    return None


def _roll(data: Mapping[str, Any], name: str, default: timedelta) -> timedelta:
    value = data.get(name)
    if value is None:
        return default
    if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value):
        raise InvalidEvent(f"'{name}' must be a number of seconds")
    roll = timedelta(seconds=value)
    if not timedelta(0) <= roll <= MAX_ROLL:
        raise InvalidEvent(f"'{name}' must be between 0 and {MAX_ROLL.seconds} seconds")
    return roll


def _rooms(value: Any) -> list[Place] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidEvent("'rooms' must be a list of platform:room strings")
    if len(value) > MAX_ROOMS:
        raise InvalidEvent(f"'rooms' names more than {MAX_ROOMS} rooms")
    try:
        return [parse_room(room_text(v)) for v in value]
    except ValueError as error:
        raise InvalidEvent(str(error)) from None


def _details(value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if isinstance(value, str):
        return {"details": value[:MAX_DETAIL]}
    if isinstance(value, dict):
        return {str(k)[:64]: str(v)[:MAX_DETAIL] for k, v in list(value.items())[:20]}
    raise InvalidEvent("'details' must be an object or a string")
