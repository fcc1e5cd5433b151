"""What a finished clip file is: its checksum, length and picture, read back from disk."""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass
from pathlib import Path

import av

# FFmpeg names formats by every alias it answers to; people know them by extension.
_CONTAINER_NAMES = {"mov,mp4,m4a,3gp,3g2,mj2": "mp4", "mpegts": "ts"}


class MediaError(Exception):
    """A clip file could not be read, joined or written; the message is meant for people."""


@dataclass(frozen=True)
class MediaInfo:
    """A video file as a player and a verifier see it."""

    path: Path
    size_bytes: int
    duration: float
    """Seconds, as the container reports it to a player; 0.0 when it reports nothing."""
    sha256: str
    container: str
    video_codec: str
    width: int
    height: int
    frame_count: int | None
    """Video frames when the container records them (MP4 does, MPEG-TS does not)."""


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file, read in chunks so a long clip never sits in memory."""
    with path.open("rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()


def probe(path: Path) -> MediaInfo:
    """Describe the video file at `path`, hashing it on the way."""
    try:
        with av.open(str(path), "r") as container:
            if not container.streams.video:
                raise MediaError(f"{path.name} holds no video")
            video = container.streams.video[0]
            format_name = container.format.name
            duration = _duration(container, video)
            codec = video.codec_context
            codec_name, width, height = codec.name, codec.width, codec.height
            frames = video.frames or None
    except av.FFmpegError as exc:
        raise MediaError(f"{path.name} could not be read as a video ({exc.strerror})") from exc
    except OSError as exc:
        raise MediaError(f"{path.name} could not be read ({exc.strerror})") from exc
    return MediaInfo(
        path=path,
        size_bytes=path.stat().st_size,
        duration=duration,
        sha256=sha256_file(path),
        container=_CONTAINER_NAMES.get(format_name, format_name.split(",")[0]),
        video_codec=codec_name,
        width=width,
        height=height,
        frame_count=frames,
    )


def _duration(container: av.container.InputContainer, video: av.VideoStream) -> float:
    if container.duration is not None:
        return container.duration / av.time_base
    if video.duration is not None and video.time_base is not None:
        return float(video.duration * video.time_base)
    return 0.0


async def sha256_file_async(path: Path) -> str:
    """`sha256_file` off the event loop."""
    return await asyncio.to_thread(sha256_file, path)


async def probe_async(path: Path) -> MediaInfo:
    """`probe` off the event loop."""
    return await asyncio.to_thread(probe, path)
