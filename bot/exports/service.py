"""Exports assembled: store, schedule, fetch in the background, post, list, cancel, combine, sweep.

The store is the source of truth: an export is a row before anyone is told it is coming,
the scheduler only wakes it up (at once, or at the time asked for), and `resume` re-arms
every unfinished export at start. A restart costs the parts being fetched at that moment,
never the parts already on disk.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from starlette.routing import Route

from bot.clips.delivered import record
from bot.clips.parts import ClipSpec
from bot.clips.retries import person_from_json
from bot.config import ExportsSettings
from bot.exports.export import Export, ExportStatus
from bot.exports.fetcher import ExportFetcher
from bot.exports.store import ExportStore
from bot.exports.wording import done_reply, ended_reply, progress_reply
from bot.footage import DeliveredFile, FileKind
from bot.media import MediaError, MediaInfo, join_clips_async, probe_async
from bot.meraki import MerakiError
from bot.meraki.explain import explain
from bot.messages import Place, Reply, SentMessage, Tone, literal
from bot.services import Services
from bot.web.files import file_routes
from bot.web.links import FileLinks

log = logging.getLogger(__name__)

KIND = "export"
LINK_TTL = 3600.0  # seed 001: "the download link for an export is good for one hour"
SWEEP_EVERY = 3600.0
UTC_ZONE = ZoneInfo("UTC")


class ExportService:
    """Every export of this mvbot: started, resumed, listed, cancelled, deleted, combined."""

    def __init__(
        self,
        services: Services,
        settings: ExportsSettings,
        folder: Path,
        signing_key: bytes,
        public_url: str,
    ) -> None:
        self.services = services
        self.settings = settings
        self.folder = folder
        self.public_url = public_url  # set again once the web server knows its address
        self.store = ExportStore(services.store.engine)
        self.fetcher = ExportFetcher(
            services.meraki,
            self.store,
            folder,
            part_length=settings.part_length,
            parallel=settings.parallel,
            clock=services.clock,
        )
        self._key = signing_key
        self._running: dict[int, asyncio.Task[None]] = {}
        self._ready = asyncio.Event()  # set by resume(): the adapters can post by then
        self._changed = asyncio.Condition()
        self._sweeper: asyncio.Task[None] | None = None
        services.scheduler.register(KIND, self._wake)

    # starting ----------------------------------------------------------------------------

    def parts_for(self, start: datetime, end: datetime) -> int:
        return len(self.fetcher.plan(start, end))

    async def add(
        self,
        spec: ClipSpec,
        place: Place,
        person: Mapping[str, Any],
        due: datetime,
        command: str | None = None,
    ) -> Export:
        """Store the export, then arm it (durable before the asker is told); `command` is
        the stored command asking, so that running it again finds this export."""
        export = await self.store.add(
            command=command,
            serial=spec.serial,
            camera=spec.camera,
            start=spec.start,
            end=spec.end,
            container=spec.container,
            due_at=due,
            parts_total=self.parts_for(spec.start, spec.end),
            place=place,
            person=person,
            now=self.services.clock(),
        )
        self.services.scheduler.schedule(KIND, _job_id(export.id), due)
        return export

    async def resume(self) -> int:
        """Re-arm every unfinished export; start sweeping. Call once the adapters run."""
        unfinished = await self.store.with_status(ExportStatus.SCHEDULED, ExportStatus.RUNNING)
        now = self.services.clock()
        for export in unfinished:
            self.services.scheduler.schedule(KIND, _job_id(export.id), max(export.due_at, now))
        for export in await self.store.with_status(ExportStatus.DONE):
            if export.posted_at is None:
                await self.fetcher.discard_parts(export)
                await self._post(export.id)
        self._ready.set()
        self._sweeper = asyncio.create_task(self._sweep_forever(), name="export sweep")
        return len(unfinished)

    async def stop(self) -> None:
        tasks = [t for t in (self._sweeper, *self._running.values()) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def wait(self, export_id: int, timeout: float) -> Export | None:  # noqa: ASYNC109
        """The export once it is no longer scheduled or running; None after `timeout` s."""
        try:
            async with asyncio.timeout(timeout), self._changed:
                while True:
                    export = await self.store.get(export_id)
                    if export is None or not export.status.unfinished:
                        return export
                    await self._changed.wait()
        except TimeoutError:
            return None

    async def wait_idle(self, timeout: float) -> bool:  # noqa: ASYNC109
        """Wait until no export is scheduled or running; False if `timeout` s pass first."""
        try:
            async with asyncio.timeout(timeout), self._changed:
                while await self.store.with_status(ExportStatus.SCHEDULED, ExportStatus.RUNNING):
                    await self._changed.wait()
        except TimeoutError:
            return False
        return True

    # running -----------------------------------------------------------------------------

    async def _wake(self, job_id: str) -> None:
        await self._ready.wait()
        export_id = int(job_id.removeprefix(f"{KIND}-"))
        if export_id in self._running:
            return  # a second wake-up while it runs
        task = asyncio.current_task()
        assert task is not None
        self._running[export_id] = task
        try:
            await self._run(export_id)
        finally:
            self._running.pop(export_id, None)
            await self._notify()

    async def _run(self, export_id: int) -> None:
        export = await self.store.claim(export_id)
        if export is None:
            return  # cancelled, deleted or finished meanwhile
        zone = await self.zone(export.serial)
        outbox = self.services.outbox
        sent = export.progress
        if sent is None:
            sent = await outbox.send(export.place, progress_reply(export, zone, 0, None))
            await self.store.change(export.id, progress=sent)
        began, fetched_here = time.monotonic(), 0

        async def progress(done: int, total: int) -> None:
            nonlocal fetched_here
            fetched_here += 1
            per_part = (time.monotonic() - began) / fetched_here
            left = timedelta(seconds=per_part * (total - done))
            await _quietly(outbox.update(sent, progress_reply(export, zone, done, left)))

        try:
            info = await self.fetcher.fetch(export, progress)
        except MerakiError as error:
            await self._fail(export, zone, sent, explain(error, export.camera, "that span"))
            return
        except (MediaError, OSError) as error:
            log.exception("export %s could not be joined", export.id)
            await self._fail(export, zone, sent, f"the footage could not be joined ({error})")
            return
        await self.store.change(
            export.id,
            status=ExportStatus.DONE,
            filename=info.path.name,
            size_bytes=info.size_bytes,
            sha256=info.sha256,
            finished_at=self.services.clock(),
            error=None,
        )
        await self.fetcher.discard_parts(export)
        await self._post(export.id)

    async def _post(self, export_id: int) -> None:
        """Post a finished export at most once (its idempotency key), then note it posted;
        `resume` posts one that a restart caught between the two."""
        export = await self.store.get(export_id)
        if export is None or export.status is not ExportStatus.DONE or not export.filename:
            return
        info = await self.file_info(export)
        if info is None:
            return
        zone = await self.zone(export.serial)
        reply = done_reply(export, info, zone, self.link(info.path))
        sent = await self.services.outbox.send(export.place, reply, key=_job_id(export.id))
        await self.log_delivery(export, info, zone, sent.place)
        await self.store.change(export.id, posted_at=self.services.clock())
        if export.progress is not None:
            ended = ended_reply(export, zone, "done")
            await _quietly(self.services.outbox.update(export.progress, ended))

    async def log_delivery(
        self, export: Export, info: MediaInfo, zone: ZoneInfo, place: Place
    ) -> None:
        """Enter the posted export in the footage log (`verify`, `footage log`), once."""
        asker = person_from_json(export.person, place)
        file = DeliveredFile(
            FileKind.EXPORT,
            info.sha256,
            export.serial.split(",")[0],  # a combined export names its first camera
            export.camera[:255],
            zone.key,
            export.start,
            export.end,
            info.size_bytes,
            place,
            asker,
        )
        await record(self.services, f"export-{export.id}", file)

    async def _fail(
        self, export: Export, zone: ZoneInfo, sent: SentMessage | None, why: str
    ) -> None:
        await self.store.change(
            export.id, status=ExportStatus.FAILED, error=why, finished_at=self.services.clock()
        )
        await self.fetcher.discard_parts(export)
        failed = await self.store.get(export.id)
        assert failed is not None
        text = f"Export #{export.id} of {literal(export.camera)} failed: {why}"
        await self.services.outbox.send(export.place, Reply(text, tone=Tone.ERROR))
        if sent is not None:
            await _quietly(self.services.outbox.update(sent, ended_reply(failed, zone, "failed")))

    # what people do with exports ---------------------------------------------------------

    async def cancel(self, export: Export) -> None:
        """Stop an export that is scheduled or running, and forget its parts."""
        await self.store.change(
            export.id, status=ExportStatus.CANCELLED, finished_at=self.services.clock()
        )
        self.services.scheduler.cancel(_job_id(export.id))
        task = self._running.get(export.id)
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.gather(task, return_exceptions=True)
        await self.fetcher.discard_parts(export)
        if export.progress is not None:
            cancelled = await self.store.get(export.id)
            assert cancelled is not None
            zone = await self.zone(export.serial)
            reply = ended_reply(cancelled, zone, "cancelled")
            await _quietly(self.services.outbox.update(export.progress, reply))
        await self._notify()

    async def delete(self, export: Export) -> None:
        """Delete the file (cancelling first if it is still coming); the row stays."""
        if export.status.unfinished:
            await self.cancel(export)
        if export.filename:
            await asyncio.to_thread((self.folder / export.filename).unlink, missing_ok=True)
        await self.store.change(export.id, status=ExportStatus.DELETED)
        await self._notify()

    async def combine(
        self, exports: list[Export], place: Place, person: Mapping[str, Any]
    ) -> tuple[Export, MediaInfo]:
        """One file of finished exports, in time order (seed 001's "combine exports")."""
        ordered = sorted(exports, key=lambda e: e.start)
        cameras = list(dict.fromkeys(e.camera for e in ordered))
        combined = await self.store.add(
            serial=",".join(dict.fromkeys(e.serial for e in ordered)),
            camera=" + ".join(cameras),
            start=ordered[0].start,
            end=max(e.end for e in ordered),
            container=ordered[0].container,
            due_at=self.services.clock(),
            parts_total=len(ordered),
            place=place,
            person=person,
            now=self.services.clock(),
            sources=tuple(e.id for e in ordered),
            status=ExportStatus.RUNNING,
        )
        sources = [self.folder / str(e.filename) for e in ordered]
        dest = self.folder / f"export{combined.id}_combined_{'-'.join(str(e.id) for e in ordered)}"
        dest = dest.with_suffix(f".{combined.container}")
        try:
            info = await join_clips_async(sources, dest, container=combined.container)
        except MediaError as error:
            await self.store.change(combined.id, status=ExportStatus.FAILED, error=str(error))
            raise
        await self.store.change(
            combined.id,
            status=ExportStatus.DONE,
            filename=info.path.name,
            size_bytes=info.size_bytes,
            sha256=info.sha256,
            finished_at=self.services.clock(),
            posted_at=self.services.clock(),  # the command that asked for it posts it
        )
        done = await self.store.get(combined.id)
        assert done is not None
        return done, info

    def link(self, path: Path) -> str:
        """A download link for one of the exports' files, good for one hour."""
        return self._links().url_for(path, now=self.services.clock().timestamp())

    def routes(self) -> list[Route]:
        """`/exports/<token>/<name>`: downloads with Range support, 410 once a link expires."""
        return file_routes(self._links(), clock=lambda: self.services.clock().timestamp())

    async def file_info(self, export: Export) -> MediaInfo | None:
        if not export.filename:
            return None
        path = self.folder / export.filename
        return await probe_async(path) if await asyncio.to_thread(path.is_file) else None

    async def zone(self, serial: str) -> ZoneInfo:
        directory = await self.services.catalog.directory()
        record = directory.get(serial.split(",")[0])
        return directory.zone(record) if record else UTC_ZONE

    # housekeeping ------------------------------------------------------------------------

    async def sweep(self) -> int:
        """Delete the files of exports finished more than `[exports] keep` ago."""
        cutoff = self.services.clock() - self.settings.keep
        swept = 0
        for export in await self.store.with_status(ExportStatus.DONE):
            if export.finished_at is not None and export.finished_at < cutoff:
                if export.filename:
                    path = self.folder / export.filename
                    await asyncio.to_thread(path.unlink, missing_ok=True)
                await self.store.change(export.id, status=ExportStatus.EXPIRED)
                swept += 1
        return swept

    async def _sweep_forever(self) -> None:
        while True:
            try:
                if swept := await self.sweep():
                    log.info("exports swept=%d", swept)
            except Exception:
                log.exception("sweeping exports failed")
            await asyncio.sleep(SWEEP_EVERY)

    def _links(self) -> FileLinks:
        return FileLinks(self._key, self.public_url, self.folder, ttl=LINK_TTL, prefix="exports")

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()


def _job_id(export_id: int) -> str:
    return f"{KIND}-{export_id}"


async def _quietly(edit: Any) -> None:
    """An edit of a progress message is a courtesy: a platform refusing it stops nothing."""
    try:
        await edit
    except Exception as error:
        log.warning("could not edit an export's progress error=%r", error)
