"""Clips of several cameras for one span: fetched together, posted in one thread under a summary.

The summary is posted first, so that each clip can go into its thread; it is edited at the
end into a table (camera, span, size, SHA-256 per row) with every name that could not be
served. Footage too recent for the cloud is stored as one deferred clip per camera, in the
same thread, before the summary promises it. An incident reuses `fetch_clips` and
`summary_table` for its own window.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.cameras.directory import CameraRecord
from bot.clips.deferred import PendingClips
from bot.clips.delivered import clip_file, command_key, record
from bot.clips.parts import MIN_LENGTH, ClipSpec, fetch_clip
from bot.clips.replies import clip_reply
from bot.clips.retries import READY_MARGIN, TOO_RECENT_RETRY
from bot.errors import UserError
from bot.footage import FileKind
from bot.grammar.formatting import duration, local_span, local_time, short_span, size
from bot.media import MediaInfo
from bot.meraki import MerakiClient, MerakiError, Priority, TooRecent
from bot.meraki.explain import explain
from bot.messages import Place, Reply, Tone, literal
from bot.store import Outcome
from bot.telemetry.latency import clip_delivered

if TYPE_CHECKING:
    from pathlib import Path

    from bot.router import Request
    from bot.services import Services

# A start this close to "now" counts as now (the person's clock and ours differ a little).
CLOCK_SLACK = timedelta(seconds=5)


@dataclass(frozen=True)
class CameraClip:
    """One camera's part of a several-camera ask: the camera, its own zone, what to fetch."""

    record: CameraRecord
    zone: ZoneInfo
    spec: ClipSpec


@dataclass(frozen=True)
class Fetched:
    """How one camera's clip turned out: a file, a sentence why not, or coming later."""

    clip: CameraClip
    info: MediaInfo | None = None
    problem: str | None = None
    later: bool = False


def check_span(
    services: Services, start: datetime, end: datetime, zone: ZoneInfo, name: str
) -> None:
    """Refuse a span that starts in the future, is under a second or over the cap."""
    now = services.clock()
    if start > now + CLOCK_SLACK:
        raise UserError(
            f"{local_time(start, zone)} is in the future (it is "
            f"{local_time(now, zone, date=False)} at {name}) — I can only fetch footage "
            "that has been recorded."
        )
    cap = services.clips.max_length
    if end - start < MIN_LENGTH:
        raise UserError("A clip lasts at least 1 s — try `clip lobby 14:30 30s`.")
    if end - start > cap:
        raise UserError(f"That is {duration(end - start)}; a clip can be up to {duration(cap)}.")


async def fetch_clips(
    client: MerakiClient, clips: Sequence[CameraClip], files: Path, priority: Priority
) -> list[Fetched]:
    """Every camera's clip at once; the client's rate budget paces all their parts together."""

    async def one(clip: CameraClip) -> Fetched:
        try:
            info = await fetch_clip(client, clip.spec, files, priority=priority)
        except TooRecent:
            return Fetched(clip, later=True)
        except MerakiError as error:
            when = local_time(clip.spec.start, clip.zone)
            return Fetched(clip, problem=explain(error, clip.record.name, when))
        return Fetched(clip, info=info)

    return list(await asyncio.gather(*(one(c) for c in clips)))


def summary_table(rows: Sequence[Fetched]) -> tuple[tuple[str, ...], ...]:
    """Camera, span (the camera's local time), size and checksum, one row per camera."""
    table: list[tuple[str, ...]] = [("Camera", "Span", "Size", "SHA-256")]
    for row in rows:
        clip = row.clip
        span = local_span(clip.spec.start, clip.spec.end, clip.zone)
        if row.info is not None:
            table.append((clip.record.name, span, size(row.info.size_bytes), row.info.sha256))
        else:
            state = "coming in this thread" if row.later else "not delivered"
            table.append((clip.record.name, span, "—", state))
    return tuple(table)


async def deliver_several(
    request: Request,
    pending: PendingClips,
    clips: Sequence[CameraClip],
    problems: Sequence[str],
) -> Outcome:
    """Post the summary, then each camera's clip in its thread (now or once it is ready)."""
    services, message = request.services, request.message
    first = clips[0]
    start, end = first.spec.start, first.spec.end
    names = ", ".join(f"*{literal(c.record.name)}*" for c in clips)
    span = f"{short_span(start, end, first.zone)} {start.astimezone(first.zone):%Z}"
    head = f"{len(clips)} cameras, {span} ({duration(end - start)}): {names}"
    sent = await request.say(
        Reply(f"Fetching {head}… each clip follows in this thread.", tone=Tone.PROGRESS)
    )
    thread = message.place.in_thread(sent.id)
    due = end + services.clips.availability_lag + READY_MARGIN
    if due > services.clock():
        rows = [await _defer(pending, c, thread, request, due) for c in clips]
    else:
        links = [await services.dashboard.soon(c.spec.serial, start, thread) for c in clips]
        rows = await fetch_clips(services.meraki, clips, services.files, Priority.INTERACTIVE)
        # The cloud is further behind than we assumed for these: wait for it, not fail.
        due = services.clock() + TOO_RECENT_RETRY
        for index, row in enumerate(rows):
            if row.info is not None:
                reply = clip_reply(
                    row.clip.spec,
                    row.info,
                    row.clip.zone,
                    row.clip.record.label,
                    message.person.time_zone,
                    await links[index].result(),
                )
                posted = await services.outbox.send(thread, reply)
                clip_delivered(services.metrics, "direct", request.asked_at, services.clock())
                file = clip_file(
                    row.clip.spec, row.info, row.clip.zone, posted.place, message.person
                )
                key = command_key(FileKind.CLIP, message, row.clip.spec.serial)
                await record(services, key, file)
            elif row.later:
                rows[index] = await _defer(pending, row.clip, thread, request, due)
    await request.update(sent, _summary(head, rows, problems, due, first.zone))
    if any(r.later for r in rows):
        return Outcome.PENDING
    # Some cameras delivered is a success with notes; none at all is a failure.
    return Outcome.OK if any(r.info is not None for r in rows) else Outcome.FAILED


async def _defer(
    pending: PendingClips, clip: CameraClip, thread: Place, request: Request, due: datetime
) -> Fetched:
    if clip.record.status == "offline":
        span = short_span(clip.spec.start, clip.spec.end, clip.zone)
        problem = f"{clip.record.name} is offline right now, so there is no footage for {span}."
        return Fetched(clip, problem=problem)
    await pending.defer(clip.spec, thread, request.message.person, due, job_id=request.job_key())
    return Fetched(clip, later=True)


def _summary(
    head: str, rows: Sequence[Fetched], problems: Sequence[str], due: datetime, zone: ZoneInfo
) -> Reply:
    delivered = sum(1 for r in rows if r.info is not None)
    later = sum(1 for r in rows if r.later)
    lines = [f"{head}."]
    if delivered:
        lines.append(f"{delivered} of {len(rows)} clips are in this thread.")
    if later:
        when = local_time(due, zone, date=False)
        lines.append(f"{later} will be ready at about {when} — I'll post them in this thread.")
    notes = (*problems, *(r.problem for r in rows if r.problem))
    if later:
        tone = Tone.PENDING
    elif delivered == len(rows) and not problems:
        tone = Tone.SUCCESS
    else:
        tone = Tone.WARNING if delivered else Tone.ERROR
    return Reply(
        "\n".join(lines),
        tone=tone,
        title=f"{len(rows)} cameras — clips",
        table=summary_table(rows),
        context=notes,
    )
