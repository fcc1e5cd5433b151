"""What deferred clips and snapshots share: one job lifecycle (store, wake, retry, post, audit).

The store is the source of truth: a job is written before the person is told "I'll post it
here", the scheduler only wakes it up, and `resume` re-arms every unfinished job at start,
so a restart in between delays the post but never loses it. The post carries an
idempotency key (bot.outbox): a post made just before a crash, before its job was marked
done, is found on the platform instead of posted again.
"""

from __future__ import annotations

import dataclasses
import logging
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, ClassVar

from bot.clips.delivered import record
from bot.footage import DeliveredFile
from bot.meraki import MerakiError, TooRecent
from bot.meraki.explain import explain
from bot.messages import Person, Place, Reply, Tone
from bot.services import Services
from bot.store import AuditEntry, JobRecord

log = logging.getLogger(__name__)

# Margin on top of the availability lag before a deferred clip or snapshot is first tried.
READY_MARGIN = timedelta(seconds=5)
# When the cloud says "too recent" for footage we expected it to have, ask again this soon.
TOO_RECENT_RETRY = timedelta(seconds=15)
# Waits between "too recent" answers: short at first, then settling at a minute.
RETRY_STEPS = (timedelta(seconds=10), timedelta(seconds=20), timedelta(seconds=40))
RETRY_MAX = timedelta(seconds=60)
# How long after the footage deadline a reply that could not be posted is still retried.
POST_PATIENCE = timedelta(hours=1)


def retry_wait(attempts: int) -> timedelta:
    """The wait before the next try, after `attempts` tries the cloud called too recent."""
    return RETRY_STEPS[attempts] if attempts < len(RETRY_STEPS) else RETRY_MAX


def person_to_json(person: Person) -> dict[str, Any]:
    return {
        "platform": person.platform,
        "id": person.id,
        "name": person.name,
        "email": person.email,
        "time_zone": person.time_zone,
    }


def person_from_json(data: Mapping[str, Any], place: Place) -> Person:
    """The asker a job stored (jobs stored before names were kept have none)."""
    return Person(
        str(data.get("platform") or place.platform),
        str(data.get("id") or ""),
        data.get("name"),
        data.get("email"),
        data.get("time_zone"),
    )


@dataclass(frozen=True)
class Prepared:
    """What a job fetched: the reply that posts it, the audit's detail, and the files it
    delivers (entered in the footage log once the post went out)."""

    reply: Reply
    detail: str
    files: tuple[DeliveredFile, ...] = ()


class DeferredJobs(ABC):
    """Stores, wakes, retries and delivers one kind of post the cloud cannot serve yet.

    A subclass says what its job fetches (`_fetch`) and how it is named in sentences
    (`_subject`, `_when`, `_could_not`); the attempt, its retries and its audit are here.
    """

    kind: ClassVar[str]

    def __init__(self, services: Services, finished: Callable[[], Awaitable[None]]) -> None:
        self.services = services
        self._finished = finished
        services.scheduler.register(self.kind, self.run)

    def key(self, job_id: str) -> str:
        """The idempotency key of a job's one post (what was asked, or why there is none)."""
        return f"{self.kind}-{job_id}"

    async def _store(
        self, payload: Mapping[str, Any], place: Place, due: datetime, job_id: str | None = None
    ) -> str:
        """Store the job (under `job_id`, if given: once), then arm it."""
        store = self.services.store
        job = await store.add_job(self.kind, payload, place.to_json(), due, job_id)
        if job.status in ("pending", "running"):
            self.services.scheduler.schedule(self.kind, job.id, job.due_at)
        return job.id

    async def resume(self) -> int:
        """Schedule every unfinished job again, at its due time (now, if that has passed):
        the scheduler's own store may have lost one. Returns how many."""
        services, count = self.services, 0
        for status in ("pending", "running"):
            for job in await services.store.jobs(status=status, kind=self.kind):
                services.scheduler.schedule(self.kind, job.id, max(job.due_at, services.clock()))
                count += 1
        return count

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
        place = Place.from_json(job.place or {})
        if job.attempts and await self._posted_before(place, job_id):
            # Posted before a crash hid it: finish the job without fetching again.
            await self._finish(job, place, "delivered", "posted before a restart")
            return
        await services.store.update_job(job_id, status="running", attempts=job.attempts + 1)
        name = self._subject(job.payload)[0]
        files: tuple[DeliveredFile, ...] = ()
        try:
            prepared = await self._prepare(job, place)
            reply, detail, files = prepared.reply, prepared.detail, prepared.files
            outcome = "delivered"
        except TooRecent:
            wait = retry_wait(job.attempts)
            if services.clock() + wait <= job.created_at + services.clips.ready_deadline:
                await self._again(job_id, wait, "not in the cloud yet")
                return
            text = (
                f"{name}'s footage for {await self._when(job.payload)} still has not reached "
                "the Meraki cloud, so I gave up waiting. The camera may be offline or its "
                "uplink slow — ask again later."
            )
            reply, outcome, detail = Reply(text, tone=Tone.ERROR), "failed", text
        except MerakiError as error:
            text = explain(error, name, await self._when(job.payload))
            reply, outcome, detail = Reply(text, tone=Tone.ERROR), "failed", text
        except Exception:
            log.exception("deferred %s failed job=%s", self.kind, job_id)
            text = self._could_not(name, await self._when(job.payload))
            reply, outcome, detail = Reply(text, tone=Tone.ERROR), "failed", "internal error"
        try:
            sent = await services.outbox.send(place, reply, key=self.key(job_id))
            for index, file in enumerate(files):
                # The first file keeps the job's own key: rows recorded before stay unique.
                key = self.key(job_id) + (f"/{index}" if index else "")
                await record(services, key, dataclasses.replace(file, place=sent.place))
        except Exception:
            # The chat platform is down or refused: keep the job and try again later,
            # for as long as a late post is still worth making.
            log.exception("posting a deferred %s failed job=%s", self.kind, job_id)
            if services.clock() < job.created_at + services.clips.ready_deadline + POST_PATIENCE:
                await self._again(job_id, RETRY_MAX, "posting failed")
                return
            outcome, detail = "failed", "could not post to the chat platform"
        if outcome == "delivered":
            self._delivered(job)
        await self._finish(job, place, outcome, detail)

    async def _finish(self, job: JobRecord, place: Place, outcome: str, detail: str) -> None:
        # Audit first: once the job is done, `wait_idle` may return and the process exit.
        name, at = self._subject(job.payload)
        person = job.payload.get("person", {})
        await self.services.store.add_audit(
            AuditEntry(
                platform=place.platform,
                person_id=person.get("id", ""),
                person_email=person.get("email"),
                place_id=place.room_id,
                command=f"deferred {self.kind} {name} {at.isoformat()}",
                action=self.kind,
                outcome=outcome,
                detail=detail,
            )
        )
        status = "done" if outcome == "delivered" else "failed"
        await self.services.store.update_job(
            job.id, status=status, last_error=None if status == "done" else detail
        )

    async def _posted_before(self, place: Place, job_id: str) -> bool:
        try:
            return await self.services.outbox.sent(place, self.key(job_id)) is not None
        except Exception as error:
            # Unknown for now: the post itself looks again before posting.
            log.warning("could not look up an earlier post job=%s error=%r", job_id, error)
            return False

    async def _again(self, job_id: str, wait: timedelta, why: str) -> None:
        due = self.services.clock() + wait
        await self.services.store.update_job(job_id, status="pending", due_at=due, last_error=why)
        self.services.scheduler.schedule(self.kind, job_id, due)
        log.info(
            "deferred %s retries job=%s in=%ss why=%s",
            self.kind,
            job_id,
            wait.total_seconds(),
            why,
        )

    @abstractmethod
    def _subject(self, payload: Mapping[str, Any]) -> tuple[str, datetime]:
        """The camera's name and the moment asked for (the audit names the job by them)."""

    @abstractmethod
    async def _fetch(self, job: JobRecord) -> tuple[Reply, str]:
        """Fetch what the job asks for: the reply that posts it and the audit's detail."""

    async def _prepare(self, job: JobRecord, place: Place) -> Prepared:
        """What the job posts in `place`. A job that delivers a file overrides this to name
        the files too (`Prepared.files`), entered in the footage log once it is posted."""
        reply, detail = await self._fetch(job)
        return Prepared(reply, detail)

    def _delivered(self, job: JobRecord) -> None:
        """Called once the job's post went out (a clip measures its end-to-end latency)."""
        return None

    @abstractmethod
    async def _when(self, payload: Mapping[str, Any]) -> str:
        """The span or moment asked for, in the camera's time zone, for a sentence."""

    @abstractmethod
    def _could_not(self, name: str, when: str) -> str:
        """The sentence for a failure that is not the cloud's."""
