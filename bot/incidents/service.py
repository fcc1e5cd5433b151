"""Incidents assembled: the store, the collecting job, the signed links and the page's data."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

from bot.cameras.directory import CameraRecord
from bot.clips.retries import READY_MARGIN
from bot.config.sections import IncidentsSettings
from bot.incidents.collecting import IncidentJobs
from bot.incidents.happenings import happenings
from bot.incidents.incident import Happening, Incident
from bot.incidents.signing import IncidentSigner
from bot.incidents.store import IncidentStore
from bot.incidents.summaries import incident_reply
from bot.messages import Hyperlink, Person, Place, Reply
from bot.services import Services


@dataclass(frozen=True)
class IncidentAdmission:
    """What a link gets: the incident, or the HTTP status that refuses it."""

    incident: Incident | None
    status: int  # 200, 404 (never issued) or 410 (expired or revoked)


class IncidentService:
    def __init__(
        self,
        services: Services,
        settings: IncidentsSettings,
        key: bytes,
        root: Path,
        public_url: str | None = None,
    ) -> None:
        self.services = services
        self.settings = settings
        self.store = IncidentStore(services.store.engine)
        self.signer = IncidentSigner(key)
        self.public_url = public_url  # set by the web server once it listens, if not configured
        self.jobs = IncidentJobs(services, self.store, root, self._ready)

    async def create(
        self,
        cameras: Sequence[CameraRecord],
        start: datetime,
        end: datetime,
        zone: str,
        note: str,
        place: Place,
        person: Person,
        command_key: str | None = None,
    ) -> tuple[Incident, datetime]:
        """Store the incident, then the job that collects it; returns it and when it starts.

        `command_key` (the stored chat command's) makes a command run again after a restart
        find the incident it made instead of making a second one.
        """
        now = self.services.clock()
        number, new = await self.store.create(
            note=note,
            start=start,
            end=end,
            time_zone=zone,
            place=place,
            asker={
                "platform": person.platform,
                "id": person.id,
                "name": person.name,
                "email": person.email,
            },
            cameras=[(r.serial, r.name, r.model) for r in cameras],
            now=now,
            link_expires_at=now + self.settings.link_valid,
            command_key=command_key,
        )
        incident = await self.store.incident(number)
        assert incident is not None
        due = self.ready_at(incident)
        if new:  # else its job is stored already, or `IncidentJobs.resume` gave it one
            await self.jobs.start(incident, place, person, due)
        return incident, due

    async def add(self, incident: Incident, record: CameraRecord, person: Person) -> datetime:
        """Add a camera, then collect it and package the incident again."""
        now = self.services.clock()
        await self.store.add_camera(
            incident.id, record.serial, record.name, record.model, person.id, now
        )
        due = self.ready_at(incident)
        await self.jobs.start(incident, incident.place, person, due)
        return due

    def ready_at(self, incident: Incident) -> datetime:
        """When the cloud should hold the whole window (now, for a window long past)."""
        clips = self.services.clips
        return max(self.services.clock(), incident.end + clips.availability_lag + READY_MARGIN)

    def page_url(self, incident: Incident) -> str:
        base = (self.public_url or "").rstrip("/")
        return f"{base}/i/{quote(self.signer.token(incident.id, incident.link_expires_at))}"

    def links(self, incident: Incident) -> list[Hyperlink]:
        if incident.revoked_at is not None:
            return []
        page = self.page_url(incident)
        found = [Hyperlink("Timeline", page)]
        if incident.package:
            found.append(Hyperlink("Evidence package (ZIP)", f"{page}/evidence.zip"))
        return found

    async def admit(self, token: str) -> IncidentAdmission:
        """The incident a page or file request may see, or why not (404, 410)."""
        issued = self.signer.read(token)
        if issued is None:
            return IncidentAdmission(None, 404)
        incident = await self.store.incident(issued.number)
        if incident is None:
            return IncidentAdmission(None, 404)
        if int(incident.link_expires_at.timestamp()) != int(issued.expires.timestamp()):
            return IncidentAdmission(None, 404)
        if incident.revoked_at is not None or incident.link_expires_at <= self.services.clock():
            return IncidentAdmission(None, 410)
        return IncidentAdmission(incident, 200)

    async def events(self, incident: Incident) -> list[Happening]:
        serials = [c.serial for c in incident.cameras]
        return await happenings(self.services.store.engine, serials, incident.start, incident.end)

    def file(self, incident: Incident, name: str) -> Path | None:
        """A file of the incident's folder by its stored name, never anything outside it."""
        known = {c.file for c in incident.cameras if c.file} | {incident.package}
        if name not in known:
            return None
        path = self.jobs.folder(incident.id) / name
        return path if path.is_file() else None

    async def reply(self, incident: Incident, events: int | None = None) -> Reply:
        """The incident as it stands, with each camera's dashboard link in a marked room."""
        return incident_reply(
            incident, self.links(incident), events, await self._dashboard(incident)
        )

    async def _dashboard(self, incident: Incident) -> list[Hyperlink]:
        dashboard = self.services.dashboard
        cameras = [c for c in incident.cameras if c.file is not None]
        soon = [await dashboard.soon(c.serial, incident.start, incident.place) for c in cameras]
        found = [await link.result() for link in soon]
        return [
            Hyperlink(f"{camera.name} in Dashboard", link.url)
            for camera, link in zip(cameras, found, strict=True)
            if link is not None
        ]

    async def _ready(self, incident: Incident, events: int) -> Reply:
        return await self.reply(incident, events)
