"""One export's footage: its missing parts fetched to disk at background priority, then joined.

Each part is written to its own file and recorded in the store once complete, so a restart
(even kill -9) fetches only the parts without a record. Joining copies packets from one
part file after another into the output, so memory stays flat however long the export.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path

from bot.clips.parts import ClipSpec, clip_filename, plan_parts
from bot.exports.export import Export
from bot.exports.store import ExportStore
from bot.media import MediaInfo, join_clips_async
from bot.meraki import InvalidRequest, MerakiClient, Priority

Progress = Callable[[int, int], Awaitable[None]]  # (parts on disk, parts in all)


def export_filename(export: Export) -> str:
    spec = ClipSpec(export.serial, export.camera, export.start, export.end, None, export.container)
    return f"export{export.id}_{clip_filename(spec)}"


class ExportFetcher:
    """Fetches exports' parts under the organisation's rate budget and joins them."""

    def __init__(
        self,
        meraki: MerakiClient,
        store: ExportStore,
        folder: Path,
        *,
        part_length: timedelta,
        parallel: int,
        clock: Callable[[], datetime],
    ) -> None:
        self._meraki = meraki
        self._store = store
        self.folder = folder
        self._part_length = part_length
        self._parallel = parallel
        self._clock = clock

    def plan(self, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
        return plan_parts(start, end, self._part_length)

    def parts_folder(self, export: Export) -> Path:
        return self.folder / f".export{export.id}.parts"

    async def fetch(self, export: Export, progress: Progress) -> MediaInfo:
        """Fetch the parts not yet on disk, then join them all into the export's file."""
        spans = self.plan(export.start, export.end)
        scratch = self.parts_folder(export)
        await asyncio.to_thread(scratch.mkdir, parents=True, exist_ok=True)
        have = await self._store.parts_done(export.id)
        missing = asyncio.Queue[int]()
        for index in range(len(spans)):
            if index not in have:
                missing.put_nowait(index)
        done = len(have)

        async def worker() -> None:
            nonlocal done
            while not missing.empty():
                await self._meraki.people_first()
                if missing.empty():
                    return
                index = missing.get_nowait()
                start, end = spans[index]
                path = scratch / f"{index:04d}.ts"
                await self._download(export.serial, start, end, path)
                size = (await asyncio.to_thread(path.stat)).st_size
                await self._store.part_fetched(export.id, index, size, self._clock())
                done += 1
                await progress(done, len(spans))

        # Missing parts in order, a few at a time, at background priority: the budget lets a
        # person's request start first, and no part starts while a person's clip downloads.
        try:
            async with asyncio.TaskGroup() as group:
                for _ in range(min(self._parallel, missing.qsize())):
                    group.create_task(worker())
        except BaseExceptionGroup as failed:
            raise failed.exceptions[0] from None
        paths = [scratch / f"{index:04d}.ts" for index in range(len(spans))]
        dest = self.folder / export_filename(export)
        return await join_clips_async(paths, dest, container=export.container)

    async def discard_parts(self, export: Export) -> None:
        await asyncio.to_thread(shutil.rmtree, self.parts_folder(export), ignore_errors=True)
        await self._store.forget_parts(export.id)

    async def _download(self, serial: str, start: datetime, end: datetime, path: Path) -> None:
        background = Priority.BACKGROUND
        try:
            await self._meraki.download_clip(serial, start, end, path, priority=background)
        except InvalidRequest as error:
            # A multi-imager camera refuses a request without an imager: export the first.
            if "imager" not in " ".join(error.details).lower():
                raise
            await self._meraki.download_clip(
                serial, start, end, path, imager=1, priority=background
            )
