"""Deferred snapshots: a moment still inside the availability lag is posted once the cloud has it.

Like a deferred clip: the job is stored before the person is told "I'll post it here", the
scheduler wakes it, "too recent" answers are retried until `[clips] ready_deadline`, and
`resume` re-arms unfinished jobs after a restart.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.cameras.directory import CameraRecord
from bot.clips.replies import snapshot_reply
from bot.clips.retries import POST_PATIENCE, RETRY_MAX, person_to_json, rearm, retry_wait
from bot.grammar.formatting import local_time
from bot.meraki import MerakiError, Priority, TooRecent
from bot.meraki.explain import explain
from bot.messages import Attachment, Person, Place, Reply, Tone
from bot.services import Services
from bot.store import AuditEntry

log = logging.getLogger(__name__)

SNAPSHOT_KIND = "snapshot"


def snapshot_path(services: Services, serial: str, moment: datetime) -> Attachment:
    """Where a snapshot of `serial` at `moment` is saved, as the attachment that posts it."""
    dest = services.files / f"{serial.lower()}_{moment.astimezone(UTC):%Y-%m-%dT%H%M%SZ}.jpg"
    return Attachment(dest, "image", "image/jpeg", dest.name)


class PendingSnapshots:
    """Stores, wakes, retries and delivers snapshots of moments the cloud does not have yet."""

    def __init__(self, services: Services, finished: Callable[[], Awaitable[None]]) -> None:
        self.services = services
        self._finished = finished
        services.scheduler.register(SNAPSHOT_KIND, self.run)

    async def defer(
        self, record: CameraRecord, at: datetime, place: Place, person: Person, due: datetime
    ) -> str:
        """Store the snapshot job, then arm it."""
        payload = {
            "snapshot": {"serial": record.serial, "camera": record.name, "at": at.isoformat()},
            "person": person_to_json(person),
        }
        job = await self.services.store.add_job(SNAPSHOT_KIND, payload, place.to_json(), due)
        self.services.scheduler.schedule(SNAPSHOT_KIND, job.id, due)
        return job.id

    async def resume(self) -> int:
        return await rearm(self.services, SNAPSHOT_KIND)

    async def run(self, job_id: str) -> None:
        try:
            await self._attempt(job_id)
        finally:
            await self._finished()

    async def _attempt(self, job_id: str) -> None:
        services = self.services
        job = await services.store.job(job_id)
        if job is None or job.status in ("done", "failed"):
            return  # already delivered: a duplicate wake-up must not post twice
        asked = job.payload["snapshot"]
        serial, name = str(asked["serial"]), str(asked["camera"])
        at = datetime.fromisoformat(str(asked["at"]))
        place = Place.from_json(job.place or {})
        await services.store.update_job(job_id, status="running", attempts=job.attempts + 1)
        record, zone = await self._camera(serial, name)
        attachment = snapshot_path(services, serial, at)
        try:
            await services.meraki.download_snapshot(
                serial, attachment.path, at=at, priority=Priority.INTERACTIVE
            )
        except TooRecent:
            wait = retry_wait(job.attempts)
            if services.clock() + wait <= job.created_at + services.clips.ready_deadline:
                await self._again(job_id, services.clock() + wait, "not in the cloud yet")
                return
            text = (
                f"{name}'s footage for {local_time(at, zone)} still has not reached the Meraki "
                "cloud, so I gave up waiting. The camera may be offline or its uplink slow."
            )
            reply, outcome, detail = Reply(text, tone=Tone.ERROR), "failed", text
        except MerakiError as error:
            text = explain(error, name, local_time(at, zone))
            reply, outcome, detail = Reply(text, tone=Tone.ERROR), "failed", text
        except Exception:
            log.exception("deferred snapshot failed job=%s", job_id)
            text = f"I could not take {name}'s snapshot of {local_time(at, zone)}."
            reply, outcome, detail = Reply(text, tone=Tone.ERROR), "failed", "internal error"
        else:
            reply = snapshot_reply(record, at, attachment, zone)
            outcome, detail = "delivered", attachment.filename
        try:
            await services.outbox.send(place, reply)
        except Exception:
            log.exception("posting a deferred snapshot failed job=%s", job_id)
            patience = job.created_at + services.clips.ready_deadline + POST_PATIENCE
            if services.clock() < patience:
                await self._again(job_id, services.clock() + RETRY_MAX, "posting failed")
                return
            outcome, detail = "failed", "could not post to the chat platform"
        # Audit first: once the job is done, `wait_idle` may return and the process exit.
        await self._audit(job.payload, place, name, at, outcome, detail)
        status = "done" if outcome == "delivered" else "failed"
        await services.store.update_job(
            job_id, status=status, last_error=None if status == "done" else detail
        )

    async def _camera(self, serial: str, name: str) -> tuple[CameraRecord, ZoneInfo]:
        directory = await self.services.catalog.directory()
        record = directory.get(serial)
        if record is None:  # removed from the fleet since: the reply still names it
            return CameraRecord(serial, name, "", "", "", "UTC"), ZoneInfo("UTC")
        return record, directory.zone(record)

    async def _again(self, job_id: str, due: datetime, why: str) -> None:
        await self.services.store.update_job(job_id, status="pending", due_at=due, last_error=why)
        self.services.scheduler.schedule(SNAPSHOT_KIND, job_id, due)
        log.info("deferred snapshot retries job=%s due=%s why=%s", job_id, due.isoformat(), why)

    async def _audit(
        self,
        payload: Mapping[str, Any],
        place: Place,
        name: str,
        at: datetime,
        outcome: str,
        detail: str,
    ) -> None:
        person = payload.get("person", {})
        await self.services.store.add_audit(
            AuditEntry(
                platform=place.platform,
                person_id=person.get("id", ""),
                person_email=person.get("email"),
                place_id=place.room_id,
                command=f"deferred snapshot {name} {at.isoformat()}",
                action="snapshot",
                outcome=outcome,
                detail=detail,
            )
        )
