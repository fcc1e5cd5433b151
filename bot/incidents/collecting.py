"""Collecting an incident: each camera's clip, the events of the window, the evidence package.

A durable job (bot.clips.retries.DeferredJobs: stored, woken, retried, posted once): the
incident is stored before anyone is told about it, the job after it, and `resume` finds
both again after a restart. Each camera's result is stored as it lands, so a retry (the
cloud is behind) or a restart fetches only the cameras still missing.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.clips.parts import ClipSpec
from bot.clips.retries import (
    DeferredJobs,
    Prepared,
    person_from_json,
    person_to_json,
    retry_wait,
)
from bot.clips.several import CameraClip, fetch_clips
from bot.footage import DeliveredFile, FileKind
from bot.grammar.formatting import short_span
from bot.incidents.bundle import write_package
from bot.incidents.happenings import happenings
from bot.incidents.incident import Incident
from bot.incidents.store import IncidentStore
from bot.meraki import Priority, TooRecent
from bot.messages import Person, Place, Reply
from bot.services import Services
from bot.store import JobRecord

KIND = "incident"
UTC_ZONE = ZoneInfo("UTC")

# The reply once the package is ready: (incident, events found) -> Reply.
Announce = Callable[[Incident, int], Awaitable[Reply]]


class IncidentJobs(DeferredJobs):
    kind = KIND

    def __init__(
        self, services: Services, store: IncidentStore, root: Path, announce: Announce
    ) -> None:
        self._idle = asyncio.Condition()
        super().__init__(services, self._notify)
        self.store, self.root, self._announce = store, root, announce
        self._locks: dict[int, asyncio.Lock] = {}

    def folder(self, number: int) -> Path:
        return self.root / str(number)

    async def start(self, incident: Incident, place: Place, person: Person, due: datetime) -> str:
        """Store the job that collects `incident` (stored itself already), then arm it."""
        payload = {
            "incident": incident.id,
            "start": incident.start.isoformat(),
            "person": person_to_json(person),
        }
        return await self._store(payload, place, max(due, self.services.clock()))

    async def resume(self) -> int:
        """Re-arm every unfinished job, and give a job to an incident a crash left without one
        (stored, then the process stopped before its job was)."""
        count = await super().resume()
        store, covered = self.services.store, set()
        for status in ("pending", "running"):
            covered |= {j.payload["incident"] for j in await store.jobs(status=status, kind=KIND)}
        for number in await self.store.collecting():
            incident = await self.store.incident(number)
            if number in covered or incident is None:
                continue
            asker = incident.asker
            person = Person(asker["platform"], asker["id"], asker.get("name"), asker.get("email"))
            await self.start(incident, incident.place, person, self.services.clock())
            count += 1
        return count

    async def unfinished(self) -> int:
        # One query: a job moving from pending to running between two would count twice.
        jobs = await self.services.store.jobs(kind=KIND)
        return sum(1 for job in jobs if job.status in ("pending", "running"))

    async def wait_idle(self, timeout: float) -> bool:  # noqa: ASYNC109
        """Wait until no incident is left to collect; False if `timeout` seconds pass first."""
        try:
            async with asyncio.timeout(timeout), self._idle:
                while await self.unfinished():
                    await self._idle.wait()
        except TimeoutError:
            return False
        return True

    async def _notify(self) -> None:
        async with self._idle:
            self._idle.notify_all()

    def _subject(self, payload: Mapping[str, Any]) -> tuple[str, datetime]:
        start = payload.get("start")
        at = datetime.fromisoformat(start) if start else self.services.clock()
        return f"Incident {payload['incident']}", at

    async def _when(self, payload: Mapping[str, Any]) -> str:
        incident = await self.store.incident(int(payload["incident"]))
        if incident is None:
            return "its window"
        return short_span(incident.start, incident.end, _zone(incident.time_zone))

    def _could_not(self, name: str, when: str) -> str:
        return f"I could not put together {name} for {when}."

    async def _fetch(self, job: JobRecord) -> tuple[Reply, str]:
        number = int(job.payload["incident"])
        # Two jobs of one incident (`incident 12 add …` while it collects) take turns.
        async with self._locks.setdefault(number, asyncio.Lock()):
            await self._fetch_missing(await self._current(number))
            await self._give_up_or_retry(await self._current(number), job)
            events = await self._package(await self._current(number))
            ready = await self._current(number)
            return await self._announce(ready, events), ready.manifest_sha256 or ""

    async def _prepare(self, job: JobRecord, place: Place) -> Prepared:
        reply, detail = await self._fetch(job)
        incident = await self._current(int(job.payload["incident"]))
        asker = person_from_json(job.payload.get("person", {}), place)
        files = await asyncio.to_thread(
            delivered_files, incident, self.folder(incident.id), place, asker
        )
        return Prepared(reply, detail, files)

    async def _current(self, number: int) -> Incident:
        incident = await self.store.incident(number)
        if incident is None:
            raise LookupError(f"incident {number} is not in the store")
        return incident

    async def _package(self, incident: Incident) -> int:
        """Write the next revision of the evidence ZIP, store its checksums, drop the one
        before; returns how many events it lists."""
        events = await happenings(
            self.services.store.engine,
            [c.serial for c in incident.cameras],
            incident.start,
            incident.end,
        )
        now, revision = self.services.clock(), incident.revision + 1
        folder = self.folder(incident.id)
        package = await asyncio.to_thread(write_package, folder, incident, events, now, revision)
        await self.store.packaged(
            incident.id, revision, package.path.name, package.sha256, package.manifest_sha256, now
        )
        if incident.package and incident.package != package.path.name:
            with contextlib.suppress(FileNotFoundError):
                await asyncio.to_thread((folder / incident.package).unlink)
        return len(events)

    async def _give_up_or_retry(self, incident: Incident, job: JobRecord) -> None:
        """Retry later while the cloud may still get the footage still missing (as a deferred
        clip would); past the deadline, package the incident without it, saying why."""
        waiting = [c for c in incident.cameras if c.pending]
        if not waiting:
            return
        services = self.services
        if (
            services.clock() + retry_wait(job.attempts)
            <= job.created_at + services.clips.ready_deadline
        ):
            raise TooRecent("Some of the footage has not reached the cloud yet.")
        why = "Its footage had not reached the Meraki cloud by the deadline."
        for camera in waiting:
            await self.store.fetched(incident.id, camera.serial, problem=why)

    async def _fetch_missing(self, incident: Incident) -> None:
        """Fetch every camera that has neither a file nor a reason, storing each result."""
        services = self.services
        directory = await services.catalog.directory()
        clips: list[CameraClip] = []
        for camera in incident.cameras:
            if not camera.pending:
                continue
            record = directory.get(camera.serial)
            if record is None:
                problem = f"{camera.name} is no longer a camera of this organisation."
                await self.store.fetched(incident.id, camera.serial, problem=problem)
                continue
            spec = ClipSpec(camera.serial, camera.name, incident.start, incident.end)
            clips.append(CameraClip(record, directory.zone(record), spec))
        if not clips:
            return
        folder = self.folder(incident.id)
        await asyncio.to_thread(folder.mkdir, parents=True, exist_ok=True)
        for row in await fetch_clips(services.meraki, clips, folder, Priority.INTERACTIVE):
            serial = row.clip.spec.serial
            if row.info is not None:
                info = row.info
                name = info.path.name
                await self.store.fetched(
                    incident.id, serial, file=name, size=info.size_bytes, sha256=info.sha256
                )
            elif row.problem is not None:
                await self.store.fetched(incident.id, serial, problem=row.problem)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError):
        return UTC_ZONE


def delivered_files(
    incident: Incident, folder: Path, place: Place, asker: Person
) -> tuple[DeliveredFile, ...]:
    """The evidence package and each camera's clip in it, for the footage log: `verify`
    then knows the package and any clip taken out of it."""
    zone = incident.time_zone
    files = [
        DeliveredFile(
            FileKind.INCIDENT,
            camera.sha256,
            camera.serial,
            camera.name,
            zone,
            incident.start,
            incident.end,
            camera.size or 0,
            place,
            asker,
        )
        for camera in incident.cameras
        if camera.file and camera.sha256
    ]
    if incident.package and incident.package_sha256:
        names = ", ".join(camera.name for camera in incident.cameras)
        package = DeliveredFile(
            FileKind.INCIDENT,
            incident.package_sha256,
            incident.cameras[0].serial if incident.cameras else "",
            f"#{incident.id} evidence package ({names})"[:255],
            zone,
            incident.start,
            incident.end,
            (folder / incident.package).stat().st_size,
            place,
            asker,
        )
        files.insert(0, package)
    return tuple(files)
