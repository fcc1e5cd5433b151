"""Deferred clips: footage still inside the cloud's availability lag is fetched and posted later.

The lifecycle (stored before "I'll post it here", woken, retried, posted at most once,
audited) is `bot.clips.retries.DeferredJobs`; this module says what a clip job fetches, and
holds the deferred snapshots too, so that waiting for everything promised covers both.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.clips.delivered import clip_file
from bot.clips.parts import ClipSpec, fetch_clip
from bot.clips.replies import clip_reply
from bot.clips.retries import DeferredJobs, Prepared, person_from_json, person_to_json
from bot.clips.stills import SNAPSHOT_KIND, PendingSnapshots
from bot.grammar.formatting import short_span
from bot.meraki import Priority
from bot.messages import Person, Place, Reply
from bot.services import Services
from bot.store import JobRecord
from bot.telemetry.latency import clip_delivered

KIND = "clip"
UTC_ZONE = ZoneInfo("UTC")


class PendingClips(DeferredJobs):
    """Stores, wakes, retries and delivers clips that could not be fetched yet.

    It also holds the deferred snapshots (`snapshots`), so that waiting for "everything
    promised" and resuming after a restart cover both.
    """

    kind = KIND

    def __init__(self, services: Services) -> None:
        self._idle = asyncio.Condition()
        super().__init__(services, self._notify)
        self.snapshots = PendingSnapshots(services, self._notify)

    async def unfinished(self) -> int:
        store = self.services.store
        kinds = (KIND, SNAPSHOT_KIND)
        return sum(
            [len(await store.jobs(status=s, kind=k)) for s in ("pending", "running") for k in kinds]
        )

    async def _notify(self) -> None:
        async with self._idle:
            self._idle.notify_all()

    async def wait_idle(self, timeout: float) -> bool:  # noqa: ASYNC109
        """Wait until no clip is left to deliver; False if `timeout` seconds pass first."""
        try:
            async with asyncio.timeout(timeout), self._idle:
                while await self.unfinished():
                    await self._idle.wait()
        except TimeoutError:
            return False
        return True

    async def defer(
        self,
        spec: ClipSpec,
        place: Place,
        person: Person,
        ready_at: datetime,
        priority: Priority = Priority.INTERACTIVE,
        job_id: str | None = None,
    ) -> str:
        """Store the clip job, then arm it; `priority` is its place in the API rate budget,
        `job_id` (a command's `Tracker.job_key`) stores it once across a command's reruns."""
        payload = {
            "clip": spec.to_json(),
            "person": person_to_json(person),
            "priority": int(priority),
        }
        return await self._store(payload, place, ready_at, job_id)

    async def resume(self) -> int:
        """Re-arm every unfinished clip and snapshot job (the scheduler's own store may have
        lost one)."""
        return await self.snapshots.resume() + await super().resume()

    def _subject(self, payload: Mapping[str, Any]) -> tuple[str, datetime]:
        spec = ClipSpec.from_json(payload["clip"])
        return spec.camera, spec.start

    async def _fetch(self, job: JobRecord) -> tuple[Reply, str]:
        prepared = await self._prepare(job, Place.from_json(job.place or {}))
        return prepared.reply, prepared.detail

    async def _prepare(self, job: JobRecord, place: Place) -> Prepared:
        services, spec = self.services, ClipSpec.from_json(job.payload["clip"])
        priority = Priority(job.payload.get("priority", Priority.INTERACTIVE))
        dashboard = await services.dashboard.soon(spec.serial, spec.start, place)
        info = await fetch_clip(services.meraki, spec, services.files, priority=priority)
        directory = await services.catalog.directory()
        record = directory.get(spec.serial)
        zone = directory.zone(record) if record else UTC_ZONE
        label = record.label if record else spec.camera
        asker = person_from_json(job.payload.get("person", {}), place)
        reply = clip_reply(spec, info, zone, label, asker.time_zone, await dashboard.result())
        return Prepared(reply, info.sha256, (clip_file(spec, info, zone, place, asker),))

    async def _when(self, payload: Mapping[str, Any]) -> str:
        spec = ClipSpec.from_json(payload["clip"])
        directory = await self.services.catalog.directory()
        record = directory.get(spec.serial)
        zone = directory.zone(record) if record else UTC_ZONE
        return short_span(spec.start, spec.end, zone)

    def _delivered(self, job: JobRecord) -> None:
        # From the job stored (the person asked, or the alert's heads-up) to the clip posted,
        # whichever replica stored it and whichever posted it.
        priority = Priority(job.payload.get("priority", Priority.INTERACTIVE))
        path = "alert" if priority is Priority.ALERT else "deferred"
        services = self.services
        clip_delivered(services.metrics, path, job.created_at, services.clock())

    def _could_not(self, name: str, when: str) -> str:
        return f"I could not prepare {name}'s clip for {when}."
