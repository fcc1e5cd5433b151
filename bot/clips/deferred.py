"""Deferred clips: footage still inside the cloud's availability lag is fetched and posted later.

The store is the source of truth: a job is written before the person is told "I'll post
it here", the scheduler only wakes it up, and `resume` re-arms every unfinished job at
start, so a restart in between delays the clip but never loses it. The post carries an
idempotency key (bot.outbox): a clip posted just before a crash, before its job was marked
done, is found on the platform instead of posted again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.clips.parts import ClipSpec, fetch_clip
from bot.clips.replies import clip_reply
from bot.clips.retries import POST_PATIENCE, RETRY_MAX, person_to_json, rearm, retry_wait
from bot.clips.stills import SNAPSHOT_KIND, PendingSnapshots
from bot.grammar.formatting import short_span
from bot.media import MediaInfo
from bot.meraki import MerakiError, Priority, TooRecent
from bot.meraki.explain import explain
from bot.messages import Person, Place, Reply, Tone
from bot.services import Services
from bot.store import AuditEntry

log = logging.getLogger(__name__)

KIND = "clip"
UTC_ZONE = ZoneInfo("UTC")


def clip_key(job_id: str) -> str:
    """The idempotency key of a job's one post (the clip, or why there is none)."""
    return f"clip-{job_id}"


class PendingClips:
    """Stores, wakes, retries and delivers clips that could not be fetched yet.

    It also holds the deferred snapshots (`snapshots`), so that waiting for "everything
    promised" and resuming after a restart cover both.
    """

    def __init__(self, services: Services) -> None:
        self.services = services
        self._finished = asyncio.Condition()
        services.scheduler.register(KIND, self.run)
        self.snapshots = PendingSnapshots(services, self._notify)

    async def unfinished(self) -> int:
        store = self.services.store
        kinds = (KIND, SNAPSHOT_KIND)
        return sum(
            [len(await store.jobs(status=s, kind=k)) for s in ("pending", "running") for k in kinds]
        )

    async def _notify(self) -> None:
        async with self._finished:
            self._finished.notify_all()

    async def wait_idle(self, timeout: float) -> bool:  # noqa: ASYNC109
        """Wait until no clip is left to deliver; False if `timeout` seconds pass first."""
        try:
            async with asyncio.timeout(timeout), self._finished:
                while await self.unfinished():
                    await self._finished.wait()
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
    ) -> str:
        """Store the clip job, then arm it; `priority` is its place in the API rate budget."""
        payload = {
            "clip": spec.to_json(),
            "person": person_to_json(person),
            "priority": int(priority),
        }
        job = await self.services.store.add_job(KIND, payload, place.to_json(), ready_at)
        self.services.scheduler.schedule(KIND, job.id, ready_at)
        return job.id

    async def resume(self) -> int:
        """Re-arm every unfinished clip and snapshot job (the scheduler's own store may have
        lost one)."""
        return await self.snapshots.resume() + await rearm(self.services, KIND)

    async def run(self, job_id: str) -> None:
        try:
            await self._attempt(job_id)
        finally:
            await self._notify()

    async def _attempt(self, job_id: str) -> None:
        services = self.services
        job = await services.store.job(job_id)
        if job is None or job.status in ("done", "failed"):
            return  # already delivered: a duplicate wake-up must not post twice
        spec = ClipSpec.from_json(job.payload["clip"])
        place = Place.from_json(job.place or {})
        if job.attempts and await self._posted_before(place, job_id):
            # Posted before a crash hid it: finish the job without fetching the clip again.
            await self._audit(job.payload, place, spec, "delivered", "posted before a restart")
            await services.store.update_job(job_id, status="done", last_error=None)
            return
        await services.store.update_job(job_id, status="running", attempts=job.attempts + 1)
        try:
            priority = Priority(job.payload.get("priority", Priority.INTERACTIVE))
            info = await fetch_clip(services.meraki, spec, services.files, priority=priority)
        except TooRecent:
            if (
                services.clock() + self._wait(job.attempts)
                <= job.created_at + services.clips.ready_deadline
            ):
                await self._again(job_id, self._wait(job.attempts), "not in the cloud yet")
                return
            text = (
                f"{spec.camera}'s footage for {await self._span_text(spec)} still "
                "has not reached the Meraki cloud, so I gave up waiting. The camera may be "
                "offline or its uplink slow — ask again later."
            )
            reply, outcome, detail = Reply(text, tone=Tone.ERROR), "failed", text
        except MerakiError as error:
            text = explain(error, spec.camera, await self._span_text(spec))
            reply, outcome, detail = Reply(text, tone=Tone.ERROR), "failed", text
        except Exception:
            log.exception("deferred clip failed job=%s", job_id)
            text = f"I could not prepare {spec.camera}'s clip for {await self._span_text(spec)}."
            reply, outcome, detail = Reply(text, tone=Tone.ERROR), "failed", "internal error"
        else:
            reply, outcome, detail = (
                await self._clip_reply(job.payload, spec, info),
                "delivered",
                info.sha256,
            )
        try:
            await services.outbox.send(place, reply, key=clip_key(job_id))
        except Exception:
            # The chat platform is down or refused: keep the job and try again later,
            # for as long as a late clip is still worth posting.
            log.exception("posting a deferred clip failed job=%s", job_id)
            if services.clock() < job.created_at + services.clips.ready_deadline + POST_PATIENCE:
                await self._again(job_id, RETRY_MAX, "posting failed")
                return
            outcome, detail = "failed", "could not post to the chat platform"
        # Audit first: once the job is done, `wait_idle` may return and the process exit.
        await self._audit(job.payload, place, spec, outcome, detail)
        status = "done" if outcome == "delivered" else "failed"
        await services.store.update_job(
            job_id, status=status, last_error=None if status == "done" else detail
        )

    async def _clip_reply(
        self, payload: Mapping[str, Any], spec: ClipSpec, info: MediaInfo
    ) -> Reply:
        directory = await self.services.catalog.directory()
        record = directory.get(spec.serial)
        zone = directory.zone(record) if record else UTC_ZONE
        label = record.label if record else spec.camera
        asker_zone = payload.get("person", {}).get("time_zone")
        return clip_reply(spec, info, zone, label, asker_zone)

    async def _posted_before(self, place: Place, job_id: str) -> bool:
        try:
            return await self.services.outbox.sent(place, clip_key(job_id)) is not None
        except Exception as error:
            # Unknown for now: the post itself looks again before posting.
            log.warning("could not look up an earlier clip post job=%s error=%r", job_id, error)
            return False

    @staticmethod
    def _wait(attempts: int) -> timedelta:
        return retry_wait(attempts)

    async def _again(self, job_id: str, wait: timedelta, why: str) -> None:
        due = self.services.clock() + wait
        await self.services.store.update_job(job_id, status="pending", due_at=due, last_error=why)
        self.services.scheduler.schedule(KIND, job_id, due)
        log.info("deferred clip retries job=%s in=%ss why=%s", job_id, wait.total_seconds(), why)

    async def _span_text(self, spec: ClipSpec) -> str:
        directory = await self.services.catalog.directory()
        record = directory.get(spec.serial)
        zone = directory.zone(record) if record else UTC_ZONE
        return short_span(spec.start, spec.end, zone)

    async def _audit(
        self, payload: Mapping[str, Any], place: Place, spec: ClipSpec, outcome: str, detail: str
    ) -> None:
        person = payload.get("person", {})
        await self.services.store.add_audit(
            AuditEntry(
                platform=place.platform,
                person_id=person.get("id", ""),
                person_email=person.get("email"),
                place_id=place.room_id,
                command=f"deferred clip {spec.camera} {spec.start.isoformat()}",
                action="clip",
                outcome=outcome,
                detail=detail,
            )
        )
