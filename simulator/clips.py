"""Generated clips on disk: made once per (camera, imager, span), least recently used evicted."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from pathlib import Path

from simulator.fleet import Fleet
from simulator.media import encode_clip, frame_count
from simulator.render import Studio
from simulator.state import MediaGrant

ClipKey = tuple[str, int, int, int]  # serial, imager, start ms, end ms


class ClipLibrary:
    """Encodes clips in worker threads (so the server loop keeps answering) and caches them."""

    def __init__(
        self,
        directory: Path,
        capacity: int,
        studio: Studio,
        fleet: Fleet,
        size: tuple[int, int],
        fps: int,
    ) -> None:
        self.directory, self.capacity = directory, capacity
        self.studio, self.fleet, self.size, self.fps = studio, fleet, size, fps
        self._files: OrderedDict[ClipKey, Path] = OrderedDict()
        self._pending: dict[ClipKey, asyncio.Future[Path]] = {}
        self._workers = asyncio.Semaphore(2)  # more parallel encodes than cores only thrash

    async def clip(self, grant: MediaGrant) -> Path:
        """The MPEG-TS file for a clip grant, generated on first use."""
        key = (grant.serial, grant.imager, grant.start_ms, grant.end_ms)
        path = self._files.get(key)
        if path is not None and path.exists():
            self._files.move_to_end(key)
            return path
        pending = self._pending.get(key)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[Path] = asyncio.get_running_loop().create_future()
        self._pending[key] = future
        try:
            path = await self._generate(key)
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # consumed here; waiters still receive it
            raise
        else:
            future.set_result(path)
        finally:
            del self._pending[key]
        self._files[key] = path
        while len(self._files) > self.capacity:
            _, old = self._files.popitem(last=False)
            old.unlink(missing_ok=True)  # an open download keeps reading its unlinked file
        return path

    async def _generate(self, key: ClipKey) -> Path:
        serial, imager, start_ms, end_ms = key
        camera = self.fleet.camera(serial)
        if camera is None:
            raise KeyError(serial)
        width, height = self.size
        renderer = self.studio.renderer(
            camera, self.fleet.network_of(camera), imager, width, height
        )
        frames = frame_count((end_ms - start_ms) / 1000.0, self.fps)
        path = self.directory / f"{serial}_{imager}_{start_ms}_{end_ms}.ts"
        async with self._workers:
            await asyncio.to_thread(encode_clip, renderer, start_ms, frames, self.fps, path)
        return path
