"""The evidence package: one ZIP with every camera's file and a manifest.json that names
each file's camera, serial, UTC span and SHA-256, who asked, where and when.

The ZIP is written to disk file by file (zipfile copies in blocks), so memory stays flat
whatever the clips weigh, and renamed into place only once complete.
"""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.grammar.formatting import iso_utc
from bot.incidents.incident import Happening, Incident

MANIFEST = "manifest.json"
_BLOCK = 1 << 20


@dataclass(frozen=True)
class Package:
    path: Path
    sha256: str  # of the ZIP
    manifest_sha256: str


def manifest(incident: Incident, events: Sequence[Happening], now: datetime) -> dict[str, Any]:
    """What the package holds and who asked for it, as the manifest states it."""
    return {
        "incident": incident.id,
        "note": incident.note,
        "span": {"start": iso_utc(incident.start), "end": iso_utc(incident.end)},
        "time_zone": incident.time_zone,
        "asked_by": incident.asker,
        "asked_in": incident.place.to_json(),
        "asked_at": iso_utc(incident.created_at),
        "packaged_at": iso_utc(now),
        "files": [
            {
                "camera": camera.name,
                "serial": camera.serial,
                "model": camera.model,
                "file": camera.file,
                "start": iso_utc(incident.start),
                "end": iso_utc(incident.end),
                "size": camera.size,
                "sha256": camera.sha256,
            }
            for camera in incident.cameras
            if camera.file is not None
        ],
        "missing": [
            {"camera": c.name, "serial": c.serial, "reason": c.problem}
            for c in incident.cameras
            if c.file is None
        ],
        "events": [
            {
                "at": iso_utc(e.at),
                "kind": e.kind,
                "serial": e.serial,
                "camera": e.camera,
                "text": e.text,
            }
            for e in events
        ],
    }


def write_package(
    folder: Path, incident: Incident, events: Sequence[Happening], now: datetime, revision: int
) -> Package:
    """Write `incident-<n>-r<revision>.zip` in `folder` (blocking: run it in a thread)."""
    content = json.dumps(manifest(incident, events, now), indent=2, ensure_ascii=False).encode()
    name = f"incident-{incident.id}-r{revision}.zip"
    final = folder / name
    partial = folder / f".{name}.partial"
    # Video does not compress: stored, so the ZIP is written at disk speed.
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as out:
        out.writestr(MANIFEST, content)
        for camera in incident.cameras:
            if camera.file is not None:
                out.write(folder / camera.file, arcname=camera.file)
    os.replace(partial, final)
    return Package(final, file_sha256(final), hashlib.sha256(content).hexdigest())


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while block := file.read(_BLOCK):
            digest.update(block)
    return digest.hexdigest()
