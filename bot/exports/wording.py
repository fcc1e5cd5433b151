"""What exports say: progress edited in place, the finished export, the recent-exports list."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from bot.exports.export import Export, ExportStatus
from bot.grammar.formatting import duration, local_span, local_time, size, utc_span
from bot.media import MediaInfo
from bot.messages import Field, Hyperlink, Reply, Tone, literal

LINK_NOTE = "The link works for one hour; `exports` gives a fresh one."


def name(export: Export) -> str:
    return f"Export #{export.id}, *{literal(export.camera)}*"


def eta(left: timedelta) -> str:
    """'about 6 min left', 'under a minute left'."""
    if left < timedelta(minutes=1):
        return "under a minute left"
    return f"about {duration(timedelta(minutes=round(left / timedelta(minutes=1))))} left"


def progress_reply(export: Export, zone: ZoneInfo, done: int, left: timedelta | None) -> Reply:
    """'Export #3, *Lobby* Tue 24 Nov 08:00:00–20:00:00 EST: 37/144 parts, about 6 min left'."""
    estimate = f", {eta(left)}" if left is not None and done < export.parts_total else ""
    state = f"{done}/{export.parts_total} parts{estimate}"
    if done == export.parts_total:
        state += ", joining them"
    span = local_span(export.start, export.end, zone)
    return Reply(f"{name(export)} {span}: {state}…", tone=Tone.PROGRESS)


def ended_reply(export: Export, zone: ZoneInfo, how: str) -> Reply:
    """The progress message's last edit: done, cancelled or failed."""
    span = local_span(export.start, export.end, zone)
    tone = Tone.SUCCESS if export.status is ExportStatus.DONE else Tone.INFO
    return Reply(f"{name(export)} {span}: {how}.", tone=tone)


def done_reply(export: Export, info: MediaInfo, zone: ZoneInfo, url: str) -> Reply:
    """The finished export: always a download link (an export outgrows any chat upload)."""
    span = local_span(export.start, export.end, zone)
    return Reply(
        title=f"{export.camera} — export #{export.id}",
        text=f"{name(export)} {span} ({duration(export.length)}) is ready.",
        tone=Tone.SUCCESS,
        fields=(
            Field("Camera", export.camera),
            Field("Local", span),
            Field("UTC", utc_span(export.start, export.end)),
            Field("Duration", f"{info.duration:.1f} s"),
            Field("Size", size(info.size_bytes)),
            Field("SHA-256", info.sha256),
            Field("Asked by", export.asker),
        ),
        context=(LINK_NOTE,),
        links=(Hyperlink(f"Download {info.path.name}", url),),
    )


def list_reply(exports: list[tuple[Export, ZoneInfo]], urls: dict[int, str]) -> Reply:
    """`exports`: the room's recent exports, with a fresh link to each finished one."""
    if not exports:
        return Reply("No exports in this room yet — try `export lobby yesterday 08:00-20:00`.")
    header = ("#", "Camera", "Span", "Size", "SHA-256", "Asked by", "Status")
    rows = [header]
    for export, zone in exports:
        rows.append(
            (
                str(export.id),
                export.camera,
                local_span(export.start, export.end, zone),
                size(export.size_bytes) if export.size_bytes is not None else "—",
                export.sha256 or "—",
                export.asker,
                _status(export, zone),
            )
        )
    links = tuple(
        Hyperlink(f"#{export.id} {export.filename}", urls[export.id])
        for export, _ in exports
        if export.id in urls
    )
    return Reply(
        f"Recent exports here ({len(exports)}):",
        table=tuple(rows),
        links=links,
        context=(LINK_NOTE,) if links else (),
    )


def _status(export: Export, zone: ZoneInfo) -> str:
    if export.status is ExportStatus.SCHEDULED:
        return f"scheduled for {local_time(export.due_at, zone)}"
    if export.status is ExportStatus.FAILED and export.error:
        return f"failed: {export.error}"
    return export.status.value
