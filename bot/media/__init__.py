"""Clip files: join the API's MPEG-TS parts into one playable file and describe it.

Every failure is a `MediaError` whose message can be shown to the person who asked.
"""

from bot.media.info import (
    MediaError,
    MediaInfo,
    probe,
    probe_async,
    sha256_file,
    sha256_file_async,
)
from bot.media.join import Container, join_clips, join_clips_async

__all__ = [
    "Container",
    "MediaError",
    "MediaInfo",
    "join_clips",
    "join_clips_async",
    "probe",
    "probe_async",
    "sha256_file",
    "sha256_file_async",
]
