"""`clip <camera> <when> [<length>] [ts]`: fetch, join and post a clip, now or once it is ready."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from bot.access import Role
from bot.clips import MIN_LENGTH, ClipSpec, fetch_clip, plan_parts
from bot.commands.common import find_camera, spoken_zone
from bot.commands.grammar import CLIP_HELP, clip_span, parse_clip
from bot.errors import UserError
from bot.explain import explain
from bot.formatting import duration, local_time, short_span
from bot.meraki import MerakiError, Priority, TooRecent
from bot.messages import Reply, SentMessage, Tone
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


async def preview_clip(request: Request, tokens: list[str]) -> str:
    args = parse_clip(tokens)
    record, directory = await find_camera(request, args.camera)
    zone = spoken_zone(request, record, directory)
    start, end = clip_span(args, zone, request.services.clock())
    return f"Fetching *{record.name}* {short_span(start, end, zone)}…"


async def run_clip(request: Request, tokens: list[str], pending: PendingClips) -> Outcome:
    services = request.services
    args = parse_clip(tokens)
    record, directory = await find_camera(request, args.camera)
    zone = spoken_zone(request, record, directory)
    now = services.clock()
    start, end = clip_span(args, zone, now)
    if start > now + CLOCK_SLACK:
        raise UserError(
            f"{local_time(start, zone)} is in the future (it is "
            f"{local_time(now, zone, date=False)} at {record.name}) — I can only fetch footage "
            "that has been recorded."
        )
    length = end - start
    cap = services.clips.max_length
    if length < MIN_LENGTH:
        raise UserError("A clip lasts at least 1 s — try `clip lobby 14:30 30s`.")
    if length > cap:
        raise UserError(f"That is {duration(length)}; a clip can be up to {duration(cap)}.")
    spec = ClipSpec(
        serial=record.serial,
        camera=record.name,
        start=start,
        end=end,
        container="ts" if args.keep_ts else "mp4",
    )
    span = short_span(start, end, zone)
    ready_at = end + services.clips.availability_lag + READY_MARGIN
    if ready_at > now:
        if record.status == "offline":
            raise UserError(
                f"{record.name} is offline right now, so there is no footage for {span}."
            )
        await pending.defer(spec, request.message.place, request.message.person, ready_at)
        await request.say(
            Reply(
                f"*{record.name}* {span} will be ready at about "
                f"{local_time(ready_at, zone, date=False)} — I'll post it here.",
                tone=Tone.PENDING,
            )
        )
        return Outcome.PENDING

    progress_message: SentMessage | None = None
    parts = len(plan_parts(start, end))
    if parts > 1:
        progress_message = await request.say(
            Reply(f"Fetching *{record.name}* {span} ({parts} parts)…", tone=Tone.PROGRESS)
        )

    async def progress(done: int, total: int) -> None:
        if progress_message is not None:
            text = f"Fetching *{record.name}* {span}: {done}/{total}"
            await request.update(progress_message, Reply(text, tone=Tone.PROGRESS))

    try:
        info = await fetch_clip(
            services.meraki, spec, services.files, priority=Priority.INTERACTIVE, progress=progress
        )
    except TooRecent:
        # The cloud is further behind than we assumed: wait for it rather than fail.
        retry_at = services.clock() + timedelta(seconds=15)
        await pending.defer(spec, request.message.place, request.message.person, retry_at)
        await request.say(
            Reply(
                f"*{record.name}* {span} has not reached the Meraki cloud yet — "
                "I'll post it here as soon as it has.",
                tone=Tone.PENDING,
            )
        )
        return Outcome.PENDING
    except MerakiError as error:
        raise UserError(explain(error, record.name, local_time(start, zone))) from None
    asker_zone = request.message.person.time_zone
    await request.say(clip_reply(spec, info, zone, record.label, asker_zone))
    return Outcome.OK
