"""Deferred snapshots: a moment still inside the availability lag is posted once the cloud has it.

Like a deferred clip (the lifecycle is `bot.clips.retries.DeferredJobs`): the job is stored
before the person is told "I'll post it here", "too recent" answers are retried until
`[clips] ready_deadline`, and `resume` re-arms unfinished jobs after a restart.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.cameras.directory import CameraRecord
from bot.clips.delivered import snapshot_file
from bot.clips.replies import snapshot_reply
from bot.clips.retries import DeferredJobs, Prepared, person_from_json, person_to_json
from bot.grammar.formatting import local_time
from bot.meraki import Priority
from bot.messages import Attachment, Person, Place, Reply
from bot.services import Services
from bot.store import JobRecord

SNAPSHOT_KIND = "snapshot"


def snapshot_path(services: Services, serial: str, moment: datetime) -> Attachment:
    """Where a snapshot of `serial` at `moment` is saved, as the attachment that posts it."""
    dest = services.files / f"{serial.lower()}_{moment.astimezone(UTC):%Y-%m-%dT%H%M%SZ}.jpg"
    return Attachment(dest, "image", "image/jpeg", dest.name)


class PendingSnapshots(DeferredJobs):
    """Stores, wakes, retries and delivers snapshots of moments the cloud does not have yet."""

    kind = SNAPSHOT_KIND

    async def defer(
        self,
        record: CameraRecord,
        at: datetime,
        place: Place,
        person: Person,
        due: datetime,
        job_id: str | None = None,
    ) -> str:
        """Store the snapshot job (once under `job_id`), then arm it."""
        payload = {
            "snapshot": {"serial": record.serial, "camera": record.name, "at": at.isoformat()},
            "person": person_to_json(person),
        }
        return await self._store(payload, place, due, job_id)

    def _subject(self, payload: Mapping[str, Any]) -> tuple[str, datetime]:
        asked = payload["snapshot"]
        return str(asked["camera"]), datetime.fromisoformat(str(asked["at"]))

    async def _fetch(self, job: JobRecord) -> tuple[Reply, str]:
        prepared = await self._prepare(job, Place.from_json(job.place or {}))
        return prepared.reply, prepared.detail

    async def _prepare(self, job: JobRecord, place: Place) -> Prepared:
        name, at = self._subject(job.payload)
        serial = str(job.payload["snapshot"]["serial"])
        attachment = snapshot_path(self.services, serial, at)
        dashboard = await self.services.dashboard.soon(serial, at, place)
        await self.services.meraki.download_snapshot(
            serial, attachment.path, at=at, priority=Priority.INTERACTIVE
        )
        record, zone = await self._camera(serial, name)
        asker = person_from_json(job.payload.get("person", {}), place)
        file = await snapshot_file(serial, record.name, zone, at, attachment, place, asker)
        reply = snapshot_reply(record, at, attachment, zone, await dashboard.result())
        return Prepared(reply, attachment.filename, (file,))

    async def _when(self, payload: Mapping[str, Any]) -> str:
        name, at = self._subject(payload)
        _, zone = await self._camera(str(payload["snapshot"]["serial"]), name)
        return local_time(at, zone)

    def _could_not(self, name: str, when: str) -> str:
        return f"I could not take {name}'s snapshot of {when}."

    async def _camera(self, serial: str, name: str) -> tuple[CameraRecord, ZoneInfo]:
        directory = await self.services.catalog.directory()
        record = directory.get(serial)
        if record is None:  # removed from the fleet since: the reply still names it
            return CameraRecord(serial, name, "", "", "", "UTC"), ZoneInfo("UTC")
        return record, directory.zone(record)
