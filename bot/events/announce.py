"""Telling a room: a heads-up at once (with a snapshot when one can be had), then the clip.

An alert is already stored (bot.events.ledger) when it gets here. A plate heads-up first
lets the sighting settle (a short wait for more reads of the car, skipped for a confident
read) and names the plate the sighting goes by then; a later read that changes it edits
the heads-up in place (`revise`). Delivery posts the heads-up, records it, then stores the
clip as a deferred job (bot.clips.deferred) that posts into the heads-up's thread once the
footage is in the cloud, retrying "too recent". Each step is recorded before the next, so
`resume` after a restart finishes what was begun without a second heads-up: the heads-up
carries an idempotency key (bot.outbox), so one posted just before a crash, before
"announced" was stored, is found on the platform instead of posted again.

Replicas: the replica that stores an alert claims it (the alert's `owner`) and tells it;
`take_over` finishes those whose replica is gone, each claimed by compare-and-set, so that
an alert another replica is telling right now is never told a second time.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.cameras.directory import CameraRecord
from bot.clips.deferred import PendingClips
from bot.clips.parts import ClipSpec
from bot.events.ledger import OPEN, Alert, AlertLedger, AlertStatus
from bot.events.sensor_replies import cameras_of, sensor_heads_up
from bot.grammar.formatting import iso_utc, local_span, local_time
from bot.meraki import MerakiError, Priority
from bot.messages import (
    Attachment,
    Button,
    Field,
    Hyperlink,
    Person,
    Place,
    Reply,
    SentMessage,
    Tone,
    literal,
)
from bot.outbox import NoAdapter
from bot.services import Services
from bot.store import AuditEntry

log = logging.getLogger(__name__)

SYSTEM_ID = "mvbot"
UTC_ZONE = ZoneInfo("UTC")
# The clip is first tried this long after the footage should be in the cloud.
READY_MARGIN = timedelta(seconds=2)
SNAPSHOT_WAIT = 8.0  # seconds a heads-up waits for its snapshot before going without
RETRY_WAITS = (2.0, 5.0, 15.0, 30.0, 60.0)  # between failed heads-up posts
PATIENCE = timedelta(minutes=30)  # after which a heads-up nobody could post is given up
EARLIER = timedelta(minutes=1)


class Alerts:
    """Delivers stored alerts; `post` returns at once, the work runs in a task."""

    def __init__(
        self,
        services: Services,
        pending: PendingClips,
        ledger: AlertLedger,
        *,
        snapshots: bool,
        settle: timedelta = timedelta(0),
        settle_confidence: float = 1.0,
        owner: str = SYSTEM_ID,
    ) -> None:
        self.services = services
        self.owner = owner  # this replica's id: the alerts it claims carry it
        self.pending = pending
        self.ledger = ledger
        self.snapshots = snapshots
        self.settle = settle
        self.settle_confidence = settle_confidence
        self._active: dict[int, asyncio.Task[None]] = {}
        self._revising: set[asyncio.Task[None]] = set()
        self._revise_lock = asyncio.Lock()
        self._idle = asyncio.Condition()

    def post(self, alert_id: int) -> None:
        if alert_id in self._active:
            return  # already on its way (a resume racing a fresh post)
        task = asyncio.create_task(self._run(alert_id), name=f"alert {alert_id}")
        self._active[alert_id] = task

    def revise(self, sighting_ids: Sequence[int]) -> None:
        """The plate of these sightings changed: edit the heads-ups already posted."""
        task = asyncio.create_task(self._revise(list(sighting_ids)), name="revise heads-ups")
        self._revising.add(task)
        task.add_done_callback(self._revised)

    async def take_over(
        self, alive: Callable[[str], Awaitable[bool]], *, unclaimed_after: timedelta
    ) -> int:
        """Finish the open alerts no live replica is telling: this replica's from before a
        restart, those of replicas that died, and those nobody claimed within
        `unclaimed_after` (their replica died between storing and claiming them)."""
        now = datetime.now(UTC)
        living: dict[str, bool] = {}
        taken = 0
        for alert in await self.ledger.open_alerts():
            if alert.id in self._active:
                continue  # being told here
            if alert.owner is None:
                if now - alert.created_at < unclaimed_after:
                    continue  # its replica is about to claim it
            elif alert.owner != self.owner:
                if alert.owner not in living:
                    living[alert.owner] = await alive(alert.owner)
                if living[alert.owner]:
                    continue
            if await self.ledger.claim(alert.id, self.owner, previous=alert.owner):
                self.post(alert.id)
                taken += 1
        return taken

    async def wait_idle(self, timeout: float) -> bool:  # noqa: ASYNC109
        """Wait until no alert is being delivered; False if `timeout` seconds pass first."""
        try:
            async with asyncio.timeout(timeout), self._idle:
                await self._idle.wait_for(lambda: not self._active and not self._revising)
        except TimeoutError:
            return False
        return True

    async def stop(self) -> None:
        tasks = [*self._active.values(), *self._revising]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _run(self, alert_id: int) -> None:
        try:
            await self._deliver(alert_id)
        finally:
            self._active.pop(alert_id, None)
            async with self._idle:
                self._idle.notify_all()

    async def _deliver(self, alert_id: int) -> None:
        try:
            if not await self.ledger.claim(alert_id, self.owner):
                return  # another replica took it over (or it is told already)
            alert = await self.ledger.alert(alert_id)
            if alert is None or alert.status not in OPEN:
                return
            resumed = alert.status is AlertStatus.ANNOUNCED
            if not resumed and alert.kind == "plate":
                alert = await self._settled(alert)
            record, zone = await self._camera(alert.serial)
            heads_up_id = alert.heads_up_id
            if not resumed:
                sent = await self._announce(alert, record, zone)
                if sent is None:
                    return
                heads_up_id = sent.id
                if alert.sighting_id is not None:
                    # A read that changed the plate while the heads-up was on its way
                    # found nothing told to edit: look again once it is recorded.
                    self.revise([alert.sighting_id])
            assert heads_up_id is not None
            await self._defer_clip(alert, heads_up_id, resumed=resumed)
        except asyncio.CancelledError:
            raise
        except Exception:
            # Left open in the store: the next start tries again.
            log.exception("alert delivery failed alert=%s", alert_id)

    async def _announce(
        self, alert: Alert, record: CameraRecord | None, zone: ZoneInfo
    ) -> SentMessage | None:
        services = self.services
        dashboard = await services.dashboard.soon(alert.serial, alert.at, alert.place)
        # A sensor's heads-up names several cameras: their clips follow, no one snapshot.
        wanted = self.snapshots and not alert.content.get("sensor")
        snapshot = await self._snapshot(alert) if wanted else None
        reply = heads_up(
            alert, record, zone, self._ready_at(alert), snapshot, await dashboard.result()
        )
        attempts = alert.attempts
        while True:
            try:
                sent = await services.outbox.send(alert.place, reply, key=heads_up_key(alert))
                break
            except NoAdapter as error:
                await self._give_up(alert, str(error))
                return None
            except Exception as error:
                log.warning("posting a heads-up failed alert=%s error=%r", alert.id, error)
                if services.clock() - alert.created_at > PATIENCE:
                    await self._give_up(alert, f"could not post: {error!r}")
                    return None
                await self.ledger.count_attempt(alert.id, attempts + 1, repr(error)[:500])
                await asyncio.sleep(RETRY_WAITS[min(attempts, len(RETRY_WAITS) - 1)])
                attempts += 1
        await self.ledger.advance(
            alert.id,
            AlertStatus.ANNOUNCED,
            self._entry(alert, "ok", "heads-up posted"),
            heads_up_id=sent.id,
            content=_told(alert.content, sent),
        )
        services.metrics.inc("mvbot_alerts_total", kind=alert.kind, outcome="announced")
        return sent

    async def _settled(self, alert: Alert) -> Alert:
        """The alert once its sighting has had time to settle, naming the plate it goes by."""
        confidence = alert.content.get("confidence")
        sure = isinstance(confidence, int | float) and confidence >= self.settle_confidence
        if not sure:
            wait = (alert.created_at + self.settle - self.services.clock()).total_seconds()
            if wait > 0:
                # More reads of the car arrive within a second or two; the first confident
                # one is often not the best.
                await asyncio.sleep(wait)
        return await self._current(alert)

    async def _current(self, alert: Alert) -> Alert:
        """`alert` with the plate its sighting goes by now."""
        if alert.sighting_id is None:
            return alert
        found = await self.ledger.sighting_plate(alert.sighting_id)
        if found is None:
            return alert
        plate, confidence = found
        content = dict(alert.content)
        if plate != content.get("plate"):
            content.update(plate=plate, raw=plate, confidence=confidence)
        elif confidence is not None:
            content["confidence"] = confidence
        return dataclasses.replace(alert, content=content)

    async def _revise(self, sighting_ids: list[int]) -> None:
        async with self._revise_lock:
            for alert_id in await self.ledger.told_of(sighting_ids):
                try:
                    await self._revise_one(alert_id)
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("editing a heads-up failed alert=%s", alert_id)

    async def _revise_one(self, alert_id: int) -> None:
        active = self._active.get(alert_id)
        if active is not None:  # still being delivered: let it record what it posted
            await asyncio.wait([active])
        stored = await self.ledger.alert(alert_id)
        if stored is None or stored.heads_up_id is None:
            return
        told = stored.content.get("told") or {}
        alert = await self._current(stored)
        if not isinstance(told, Mapping) or told.get("plate") == alert.content.get("plate"):
            return
        record, zone = await self._camera(alert.serial)
        reply = heads_up(alert, record, zone, self._ready_at(alert), None)
        extra = told.get("extra") or {}
        extra = {str(k): str(v) for k, v in extra.items()}
        sent = SentMessage(alert.place, stored.heads_up_id, extra)
        await self.services.outbox.update(sent, reply)
        detail = f"heads-up edited: {told.get('plate')} → {alert.content.get('plate')}"
        await self.ledger.advance(
            alert.id,
            stored.status,
            self._entry(alert, "ok", detail),
            content=_told(alert.content, sent),
        )

    def _revised(self, task: asyncio.Task[None]) -> None:
        self._revising.discard(task)
        asyncio.get_running_loop().create_task(self._notify_idle())

    async def _notify_idle(self) -> None:
        async with self._idle:
            self._idle.notify_all()

    async def _defer_clip(self, alert: Alert, heads_up_id: str, *, resumed: bool) -> None:
        """One clip job per camera of the alert (a sensor's may have several), each in the
        heads-up's thread; a job already stored before a crash is not stored again."""
        place = alert.place.in_thread(heads_up_id)
        job_ids = []
        for serial, camera in cameras_of(alert):
            job_id = await self._existing_job(place, serial) if resumed else None
            if job_id is None:
                spec = ClipSpec(
                    serial=serial,
                    camera=camera,
                    start=alert.at - alert.pre_roll,
                    end=alert.at + alert.post_roll,
                )
                person = Person(place.platform, SYSTEM_ID, name="mvbot")
                job_id = await self.pending.defer(
                    spec, place, person, self._ready_at(alert), priority=Priority.ALERT
                )
            job_ids.append(job_id)
        await self.ledger.advance(
            alert.id,
            AlertStatus.CLIP_PENDING,
            self._entry(alert, "pending", f"clip job {', '.join(job_ids)}"),
            clip_job_id=job_ids[0],
        )

    async def _existing_job(self, place: Place, serial: str) -> str | None:
        """A clip job of this camera already stored for this thread (a crash after storing
        it, before the alert was marked), so that a restart does not post the clip twice."""
        for job in await self.services.store.jobs(kind="clip"):
            where = job.place or {}
            clip = job.payload.get("clip") or {}
            if (
                where.get("room_id") == place.room_id
                and where.get("thread_id") == place.thread_id
                and clip.get("serial", serial) == serial
            ):
                return job.id
        return None

    async def _give_up(self, alert: Alert, why: str) -> None:
        log.error("alert given up alert=%s why=%s", alert.id, why)
        await self.ledger.advance(
            alert.id, AlertStatus.FAILED, self._entry(alert, "failed", why), reason=why[:500]
        )
        self.services.metrics.inc("mvbot_alerts_total", kind=alert.kind, outcome="failed")

    async def _snapshot(self, alert: Alert) -> Attachment | None:
        services = self.services
        # Footage of the detection itself may not be in the cloud yet: then the camera's
        # live view, taken within seconds of it, is the picture to have.
        recent = services.clock() - alert.at < services.clips.availability_lag
        dest = services.files / f"{alert.serial.lower()}_alert{alert.id}.jpg"
        try:
            async with asyncio.timeout(SNAPSHOT_WAIT):
                await services.meraki.download_snapshot(
                    alert.serial,
                    dest,
                    at=None if recent else alert.at,
                    priority=Priority.ALERT,
                    ready_wait=SNAPSHOT_WAIT,
                )
        except (MerakiError, TimeoutError, OSError) as error:
            log.info("no snapshot for alert=%s error=%r", alert.id, error)
            with contextlib.suppress(OSError):
                dest.unlink(missing_ok=True)
            return None
        return Attachment(dest, "image", "image/jpeg", dest.name)

    async def _camera(self, serial: str) -> tuple[CameraRecord | None, ZoneInfo]:
        try:
            directory = await self.services.catalog.directory()
        except MerakiError as error:
            log.warning("camera directory unavailable for an alert error=%r", error)
            return None, UTC_ZONE
        record = directory.get(serial)
        return record, directory.zone(record) if record else UTC_ZONE

    def _ready_at(self, alert: Alert) -> datetime:
        return alert.at + alert.post_roll + self.services.clips.availability_lag + READY_MARGIN

    def _entry(self, alert: Alert, outcome: str, detail: str) -> AuditEntry:
        return AuditEntry(
            platform=alert.place.platform,
            person_id=SYSTEM_ID,
            place_id=alert.place.room_id,
            command=f"alert {alert.id}: {_what(alert)}",
            action="alert",
            outcome=outcome,
            detail=detail,
        )


def heads_up_key(alert: Alert) -> str:
    """The heads-up's idempotency key: one heads-up per alert, whatever restarts between."""
    return f"alert-{alert.id}-heads-up"


def _told(content: Mapping[str, Any], sent: SentMessage) -> dict[str, Any]:
    """The alert's content, noting which plate its heads-up named and how to edit it."""
    return {**content, "told": {"plate": content.get("plate"), "extra": dict(sent.extra)}}


def _what(alert: Alert) -> str:
    content = alert.content
    if alert.kind == "plate":
        return f"plate {content.get('plate', '?')} at {alert.camera}"
    return f"{content.get('title', 'event')} at {alert.camera}"


def heads_up(
    alert: Alert,
    record: CameraRecord | None,
    zone: ZoneInfo,
    ready_at: datetime,
    snapshot: Attachment | None,
    dashboard: Hyperlink | None = None,
) -> Reply:
    """The immediate message: what was seen, where and when, and that the clip follows;
    `dashboard` opens the dashboard at the moment (a dashboard-user room only)."""
    content = alert.content
    label = record.label if record else alert.camera
    start, end = alert.at - alert.pre_roll, alert.at + alert.post_roll
    when = local_time(alert.at, zone)
    follows = (
        f"The clip ({local_span(start, end, zone)}) follows in this thread when the footage "
        f"is in the cloud, at about {local_time(ready_at, zone, date=False)}."
    )
    earlier = Button(
        "Clip 1 min before",
        f"clip {alert.serial} {iso_utc(alert.at - EARLIER, precise=True)} 1m",
    )
    common = (
        Field("Camera", label),
        Field("Local time", when),
        Field("UTC", iso_utc(alert.at, precise=True)),
    )
    opened = (dashboard,) if dashboard else ()
    if alert.kind == "plate":
        reply = _plate_heads_up(alert, content, common, when, follows, earlier, snapshot)
        return dataclasses.replace(reply, link_buttons=opened)
    if content.get("sensor"):
        return sensor_heads_up(alert, content, zone, ready_at, when)
    title = str(content.get("title") or "Event")
    details = content.get("details") or {}
    fields = [Field("Event", str(content.get("type", "event"))), *common]
    if isinstance(details, Mapping):
        fields += [Field(str(k), literal(str(v))) for k, v in list(details.items())[:8]]
    return Reply(
        title=f"{title} — {alert.camera}",
        text=f"*{literal(title)}* at *{literal(alert.camera)}*, {when}",
        tone=Tone.WARNING,
        fields=tuple(fields),
        context=(follows,),
        attachment=snapshot,
        buttons=(earlier,),
        link_buttons=opened,
    )


def _plate_heads_up(
    alert: Alert,
    content: Mapping[str, Any],
    common: tuple[Field, ...],
    when: str,
    follows: str,
    earlier: Button,
    snapshot: Attachment | None,
) -> Reply:
    plate = str(content.get("plate", "?"))
    raw = str(content.get("raw") or plate)
    watches = [w for w in content.get("watches") or () if isinstance(w, Mapping)]
    lines = [f"*{literal(plate)}* at *{literal(alert.camera)}*, {when}"]
    for watch in watches:
        note = f" — {literal(str(watch['note']))}" if watch.get("note") else ""
        lines.append(f"On the watchlist as `{literal(str(watch.get('pattern')))}`{note}")
    unknown = bool(content.get("unknown"))
    if unknown:
        lines.append("Not on this room's allow-list.")
    elif not watches:
        lines.append(f"Every plate at {literal(alert.camera)} is followed in this room.")
    confidence = content.get("confidence")
    read = plate if raw == plate else f"{plate} (read as {raw})"
    fields = [Field("Plate", literal(read)), *common]
    if isinstance(confidence, int | float):
        fields.append(Field("Confidence", f"{confidence:.0%}"))
    notes = "; ".join(str(w["note"]) for w in watches if w.get("note"))
    if notes:
        fields.insert(1, Field("Note", literal(notes)))
    return Reply(
        title=f"Plate {plate} — {alert.camera}",
        text="\n".join(lines),
        tone=Tone.WARNING if watches or unknown else Tone.INFO,
        fields=tuple(fields),
        context=(follows,),
        attachment=snapshot,
        buttons=(earlier, Button("Mute this plate 1 h", f"plates mute {plate} 1h")),
    )
