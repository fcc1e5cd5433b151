"""The replies that several commands and jobs share: a delivered clip, a snapshot."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.cameras.directory import CameraRecord
from bot.clips.parts import ClipSpec
from bot.grammar.formatting import duration, iso_utc, local_span, local_time, size, utc_span
from bot.media import MediaInfo
from bot.messages import Attachment, Button, Field, Hyperlink, Reply, Tone

_MIME = {"mp4": "video/mp4", "ts": "video/mp2t"}


def clip_reply(
    spec: ClipSpec,
    info: MediaInfo,
    zone: ZoneInfo,
    label: str,
    asker_zone: str | None = None,
    dashboard: Hyperlink | None = None,
) -> Reply:
    """The clip with what a person needs to trust it: where, when (local and UTC), checksum.

    `label` names the camera in full ("Lobby (MV12, Q2XX-…)"); `asker_zone` (the asker's
    own time zone, when their platform tells it) adds their local time if it differs;
    `dashboard` (bot.footage.dashboard) opens the dashboard at the clip's start.
    """
    length = spec.end - spec.start
    # A multi-imager camera's clip says which imager it shows, and its buttons keep it.
    imager = f" imager {spec.imager}" if spec.imager else ""
    earlier = spec.start - timedelta(seconds=30)
    seconds = max(1, round(length.total_seconds()))
    notes: list[str] = []
    if info.duration < length.total_seconds() - 1:
        notes.append(
            f"The footage covers {duration(timedelta(seconds=info.duration))} of the "
            f"{duration(length)} asked for: the camera recorded nothing for the rest."
        )
    span = local_span(spec.start, spec.end, zone)
    return Reply(
        title=f"{spec.camera}{imager} — clip",
        text=f"*{spec.camera}*{imager} {span} ({duration(length)})",
        tone=Tone.SUCCESS,
        fields=(
            Field("Camera", f"{label},{imager}" if imager else label),
            Field("Local", span),
            *_asker_field(spec, zone, asker_zone),
            Field("UTC", utc_span(spec.start, spec.end)),
            Field("Duration", f"{info.duration:.1f} s"),
            Field("Size", size(info.size_bytes)),
            Field("SHA-256", info.sha256),
        ),
        context=tuple(notes),
        attachment=Attachment(
            path=info.path,
            kind="video",
            mime=_MIME.get(spec.container, "application/octet-stream"),
            filename=info.path.name,
        ),
        buttons=(
            Button(
                "30 s earlier",
                f"clip {spec.serial}{imager} {iso_utc(earlier, precise=True)} {seconds}s",
            ),
            Button("Snapshot", f"snapshot {spec.serial} {iso_utc(spec.start, precise=True)}"),
        ),
        link_buttons=(dashboard,) if dashboard else (),
    )


def _asker_field(spec: ClipSpec, zone: ZoneInfo, asker_zone: str | None) -> tuple[Field, ...]:
    try:
        theirs = ZoneInfo(asker_zone) if asker_zone else None
    except (ValueError, ZoneInfoNotFoundError):
        return ()
    if theirs is None or theirs.utcoffset(spec.start) == zone.utcoffset(spec.start):
        return ()
    return (Field("Your time", local_span(spec.start, spec.end, theirs)),)


def snapshot_reply(
    record: CameraRecord,
    at: datetime | None,
    attachment: Attachment,
    zone: ZoneInfo,
    dashboard: Hyperlink | None = None,
) -> Reply:
    when = local_time(at, zone) if at else "now"
    return Reply(
        title=f"{record.name} — snapshot",
        text=f"*{record.name}* {when}",
        tone=Tone.SUCCESS,
        fields=(Field("Camera", record.label), Field("Size", size(attachment.size))),
        context=(f"UTC {iso_utc(at)}",) if at else (),
        attachment=attachment,
        buttons=(Button("Clip from here", f"clip {record.serial} {iso_utc(at, precise=True)} 30s"),)
        if at
        else (),
        link_buttons=(dashboard,) if dashboard else (),
    )
