"""`clip <camera> <when> [<length>] [ts]`: fetch, join and post a clip, now or once it is ready."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.access import Role
from bot.cameras import CameraRecord
from bot.clips import MIN_LENGTH, ClipSpec, Progress, fetch_clip, plan_parts
from bot.commands.common import find_camera, spoken_zone
from bot.commands.grammar import CLIP_HELP, clip_span, parse_clip
from bot.errors import UserError
from bot.explain import explain
from bot.formatting import duration, local_time, short_span
from bot.media import Container
from bot.meraki import MerakiError, Priority, TooRecent
from bot.messages import Reply, Tone
from bot.pending import PendingClips
from bot.replies import clip_reply
from bot.router import Command
from bot.store import Outcome

if TYPE_CHECKING:
    from bot.core import Request

# A start this close to "now" counts as now (the person's clock and ours differ a little).
CLOCK_SLACK = timedelta(seconds=5)
# Margin on top of the availability lag before a deferred clip is first tried.
READY_MARGIN = timedelta(seconds=5)
# When the cloud says "too recent" for footage we expected it to have, ask again this soon.
TOO_RECENT_RETRY = timedelta(seconds=15)


def command(pending: PendingClips) -> Command:
    async def handle(request: Request, tokens: list[str]) -> Outcome:
        return await run_clip(request, tokens, pending)

    return Command(
        help=CLIP_HELP,
        role=Role.VIEWER,
        handler=handle,
        preview=preview_clip,
        aliases=("video",),
    )


@dataclass(frozen=True)
class AskedClip:
    """A clip request read and resolved: the camera, the zone its times are read in, the span."""

    record: CameraRecord
    zone: ZoneInfo
    spec: ClipSpec

    @property
    def span(self) -> str:
        return short_span(self.spec.start, self.spec.end, self.zone)


async def read_clip(request: Request, tokens: list[str]) -> AskedClip:
    args = parse_clip(tokens)
    record, directory = await find_camera(request, args.camera)
    zone = spoken_zone(request, record, directory)
    start, end = clip_span(args, zone, request.services.clock())
    container: Container = "ts" if args.keep_ts else "mp4"
    return AskedClip(
        record, zone, ClipSpec(record.serial, record.name, start, end, container=container)
    )


async def preview_clip(request: Request, tokens: list[str]) -> str:
    asked = await read_clip(request, tokens)
    return f"Fetching *{asked.record.name}* {asked.span}…"


async def run_clip(request: Request, tokens: list[str], pending: PendingClips) -> Outcome:
    services = request.services
    asked = await read_clip(request, tokens)
    record, zone, spec = asked.record, asked.zone, asked.spec
    now = services.clock()
    if spec.start > now + CLOCK_SLACK:
        raise UserError(
            f"{local_time(spec.start, zone)} is in the future (it is "
            f"{local_time(now, zone, date=False)} at {record.name}) — I can only fetch footage "
            "that has been recorded."
        )
    cap = services.clips.max_length
    if spec.length < MIN_LENGTH:
        raise UserError("A clip lasts at least 1 s — try `clip lobby 14:30 30s`.")
    if spec.length > cap:
        raise UserError(f"That is {duration(spec.length)}; a clip can be up to {duration(cap)}.")
    ready_at = spec.end + services.clips.availability_lag + READY_MARGIN
    if ready_at > now:
        if record.status == "offline":
            raise UserError(
                f"{record.name} is offline right now, so there is no footage for {asked.span}."
            )
        when = f"at about {local_time(ready_at, zone, date=False)}"
        return await _later(request, pending, asked, ready_at, f"will be ready {when}")
    try:
        info = await fetch_clip(
            services.meraki,
            spec,
            services.files,
            priority=Priority.INTERACTIVE,
            progress=await _progress(request, asked),
        )
    except TooRecent:
        # The cloud is further behind than we assumed: wait for it rather than fail.
        retry_at = services.clock() + TOO_RECENT_RETRY
        return await _later(
            request, pending, asked, retry_at, "has not reached the Meraki cloud yet"
        )
    except MerakiError as error:
        raise UserError(explain(error, record.name, local_time(spec.start, zone))) from None
    asker_zone = request.message.person.time_zone
    await request.say(clip_reply(spec, info, zone, record.label, asker_zone))
    return Outcome.OK


async def _later(
    request: Request, pending: PendingClips, asked: AskedClip, due: datetime, state: str
) -> Outcome:
    """Store the clip for later (before saying so) and tell the asker when to expect it."""
    message = request.message
    await pending.defer(asked.spec, message.place, message.person, due)
    text = f"*{asked.record.name}* {asked.span} {state} — I'll post it here."
    await request.say(Reply(text, tone=Tone.PENDING))
    return Outcome.PENDING


async def _progress(request: Request, asked: AskedClip) -> Progress | None:
    """For a clip of several parts, one message edited as they arrive ("fetching 2/6")."""
    parts = len(plan_parts(asked.spec.start, asked.spec.end))
    if parts == 1:
        return None
    name = asked.record.name
    sent = await request.say(
        Reply(f"Fetching *{name}* {asked.span} ({parts} parts)…", tone=Tone.PROGRESS)
    )

    async def progress(done: int, total: int) -> None:
        text = f"Fetching *{name}* {asked.span}: {done}/{total}"
        await request.update(sent, Reply(text, tone=Tone.PROGRESS))

    return progress
