"""Clips and snapshots entered in the footage log once their post has gone out."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import uuid
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.clips.parts import ClipSpec
from bot.footage import DeliveredFile, FileKind
from bot.media import MediaInfo
from bot.messages import Attachment, Message, Person, Place
from bot.services import Services

log = logging.getLogger(__name__)


def command_key(kind: FileKind, message: Message, serial: str) -> str:
    """A command's delivery of one camera's file: the same again when a restart runs the
    command a second time (its platform message id), unique when the platform gave none."""
    said = message.id or uuid.uuid4().hex
    return f"{kind}:{message.place.platform}:{said}:{serial}"


def clip_file(
    spec: ClipSpec, info: MediaInfo, zone: ZoneInfo, place: Place, asker: Person
) -> DeliveredFile:
    camera = f"{spec.camera} imager {spec.imager}" if spec.imager else spec.camera
    return DeliveredFile(
        FileKind.CLIP,
        info.sha256,
        spec.serial,
        camera,
        zone.key,
        spec.start,
        spec.end,
        info.size_bytes,
        place,
        asker,
    )


async def snapshot_file(
    serial: str,
    camera: str,
    zone: ZoneInfo,
    at: datetime,
    attachment: Attachment,
    place: Place,
    asker: Person,
) -> DeliveredFile:
    digest = await asyncio.to_thread(_sha256, attachment.path)
    return DeliveredFile(
        FileKind.SNAPSHOT, digest, serial, camera, zone.key, at, at, attachment.size, place, asker
    )


async def record(services: Services, key: str, file: DeliveredFile) -> None:
    """Enter a delivered file in the footage log. The post has gone out already, so a store
    that fails here is logged, not turned into a failure of the delivery."""
    try:
        await services.footage.record(key, file)
    except Exception:
        log.exception("could not enter a delivered file in the footage log key=%s", key)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
