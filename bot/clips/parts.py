"""Clips: split a span into API-sized parts, fetch them under the rate budget, join them."""

from __future__ import annotations

import asyncio
import itertools
import math
import re
import shutil
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.media import Container, MediaInfo, join_clips_async
from bot.meraki import InvalidRequest, MerakiClient, Priority

# One clip request covers at most this much (seed 000) and at least one second.
MAX_PART = timedelta(minutes=5)
MIN_LENGTH = timedelta(seconds=1)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

Progress = Callable[[int, int], Awaitable[None]]  # (parts done, parts in all)


@dataclass(frozen=True)
class ClipSpec:
    """What to fetch: one camera (and imager), one span, one container."""

    serial: str
    camera: str
    start: datetime
    end: datetime
    imager: int | None = None
    container: Container = "mp4"

    @property
    def length(self) -> timedelta:
        return self.end - self.start

    def to_json(self) -> dict[str, object]:
        return {
            "serial": self.serial,
            "camera": self.camera,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "imager": self.imager,
            "container": self.container,
        }

    @classmethod
    def from_json(cls, data: dict[str, object]) -> ClipSpec:
        imager = data.get("imager")
        return cls(
            serial=str(data["serial"]),
            camera=str(data["camera"]),
            start=datetime.fromisoformat(str(data["start"])),
            end=datetime.fromisoformat(str(data["end"])),
            imager=int(imager) if isinstance(imager, int) else None,
            container="ts" if data.get("container") == "ts" else "mp4",
        )


def whole_millisecond(moment: datetime) -> datetime:
    """`moment` rounded to the millisecond, the API's precision: rounded here, not cut off by
    the request's formatting, so "10m ago" starts at the nearest millisecond to it."""
    millis = round((moment - _EPOCH) / timedelta(milliseconds=1))
    return _EPOCH + timedelta(milliseconds=millis)


def plan_parts(
    start: datetime, end: datetime, longest: timedelta = MAX_PART
) -> list[tuple[datetime, datetime]]:
    """Split a span into back-to-back parts of at most `longest` (the API's five minutes).

    Parts are of equal length (to the millisecond) rather than 5 min + remainder, so that
    no part falls under the API's one-second minimum (5 min 0.5 s → 2 × 2 min 30.25 s).
    """
    if end - start < MIN_LENGTH:
        raise ValueError("a clip lasts at least one second")
    total_ms = round((end - start) / timedelta(milliseconds=1))
    count = math.ceil(total_ms / (min(longest, MAX_PART) / timedelta(milliseconds=1)))
    bounds = [start + timedelta(milliseconds=total_ms * i // count) for i in range(count + 1)]
    return list(itertools.pairwise(bounds))


def clip_filename(spec: ClipSpec) -> str:
    """A name that says what the file is: lobby_2026-03-23T143000Z_120s.mp4."""
    slug = re.sub(r"[^a-z0-9]+", "-", spec.camera.lower()).strip("-") or spec.serial.lower()
    start = spec.start.astimezone(UTC)
    millis = f"{start.microsecond // 1000:03d}" if start.microsecond >= 1000 else ""
    stamp = start.strftime("%Y-%m-%dT%H%M%S") + millis + "Z"
    seconds = round(spec.length.total_seconds())
    imager = f"_imager{spec.imager}" if spec.imager else ""
    return f"{slug}{imager}_{stamp}_{seconds}s.{spec.container}"


async def fetch_clip(
    client: MerakiClient,
    spec: ClipSpec,
    directory: Path,
    *,
    priority: Priority = Priority.INTERACTIVE,
    progress: Progress | None = None,
) -> MediaInfo:
    """Fetch every part in parallel (the client's budget paces them), then join them.

    Parts land in a scratch folder beside the result and are removed afterwards, also on
    failure; the result is written under its final name only once it is complete.
    """
    parts = plan_parts(spec.start, spec.end)
    dest = directory / clip_filename(spec)
    scratch = await asyncio.to_thread(_scratch_folder, directory, dest.name)
    done = 0

    async def fetch(index: int, start: datetime, end: datetime) -> Path:
        nonlocal done
        path = scratch / f"{index:03d}.ts"
        try:
            await client.download_clip(
                spec.serial, start, end, path, imager=spec.imager, priority=priority
            )
        except InvalidRequest as error:
            # The API does not say which cameras have several imagers until asked: a
            # multi-imager camera refuses a request without one, so ask for the first.
            if spec.imager is not None or "imager" not in " ".join(error.details).lower():
                raise
            await client.download_clip(spec.serial, start, end, path, imager=1, priority=priority)
        done += 1
        if progress is not None and len(parts) > 1:
            await progress(done, len(parts))
        return path

    try:
        try:
            # A task group cancels the other downloads as soon as one part fails.
            async with asyncio.TaskGroup() as group:
                tasks = [group.create_task(fetch(i, s, e)) for i, (s, e) in enumerate(parts)]
        except BaseExceptionGroup as failed:
            raise failed.exceptions[0] from None
        paths = [task.result() for task in tasks]
        return await join_clips_async(paths, dest, container=spec.container)
    finally:
        await asyncio.to_thread(shutil.rmtree, scratch, ignore_errors=True)


def _scratch_folder(directory: Path, name: str) -> Path:
    """A folder of its own: two people may ask for the very same clip at the same moment."""
    directory.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f".{name}.", suffix=".parts", dir=directory))
