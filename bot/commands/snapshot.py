"""`snapshot <camera> [<when>]`: a still image from a camera, now or at a time."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.access import Role
from bot.cameras.directory import CameraRecord
from bot.clips.deferred import PendingClips
from bot.clips.delivered import command_key, snapshot_file
from bot.clips.delivered import record as record_delivery
from bot.clips.parts import whole_millisecond
from bot.clips.replies import snapshot_reply
from bot.clips.retries import READY_MARGIN, TOO_RECENT_RETRY
from bot.clips.stills import snapshot_path
from bot.commands.common import find_camera, spoken_zone
from bot.errors import UserError
from bot.footage import FileKind
from bot.grammar.formatting import local_time
from bot.grammar.tokens import ParseError, echo, is_quoted, join_words, split_subject
from bot.grammar.usage import (
    CAMERA_FORMS_HELP,
    CommandHelp,
    camera_guess,
    drop_commas,
    looks_like_time,
)
from bot.grammar.when import TIME_FORMS_HELP, Now, Range, WhenSpec, parse_when, resolve
from bot.meraki import MerakiError, Priority, TooRecent
from bot.meraki.explain import explain
from bot.messages import Reply, Tone
from bot.router import Command
from bot.store import Outcome

if TYPE_CHECKING:
    from bot.router import Request


# grammar --------------------------------------------------------------------------------

SNAPSHOT_HELP = CommandHelp(
    name="snapshot",
    usage="snapshot <camera> [<when>]",
    summary="Post a still image from a camera, now or at a time.",
    examples=("snapshot lobby", "snapshot garage entrance 2:30pm", "snapshot lobby yesterday 9am"),
    details="\n".join((CAMERA_FORMS_HELP, TIME_FORMS_HELP, "Without a time: now.")),
)


@dataclass(frozen=True)
class SnapshotArgs:
    camera: str
    when: WhenSpec


def parse_snapshot(tokens: Sequence[str]) -> SnapshotArgs:
    words = drop_commas(tokens)
    if not words:
        raise ParseError("Which camera? Try `snapshot lobby` or `snapshot lobby 14:30`.")
    split = split_subject(words, _snapshot_tail)
    if split is not None:
        camera_words, when = split
    elif any(looks_like_time(w) for w in words[1:]) or any(is_quoted(w) for w in words[:-1]):
        raise ParseError(
            f"I couldn't read a time in 'snapshot {echo(tokens)}' — "
            f"try `snapshot {camera_guess(words)} 14:30`."
        )
    else:
        # No time anywhere: every word is the camera's name ("snapshot garage entrance").
        camera_words, when = words, Now()
    camera = join_words(camera_words).strip()
    if not camera:
        raise ParseError("Which camera? Try `snapshot lobby` or `snapshot lobby 14:30`.")
    return SnapshotArgs(camera, when)


def _snapshot_tail(words: Sequence[str]) -> WhenSpec:
    when = parse_when(words)
    if isinstance(when, Range):
        raise ParseError("A snapshot is one moment — give one time, e.g. `snapshot lobby 14:30`.")
    return when


# handler --------------------------------------------------------------------------------


async def run_snapshot(request: Request, tokens: list[str], pending: PendingClips) -> Outcome:
    services = request.services
    args = parse_snapshot(tokens)
    record, directory = await find_camera(request, args.camera)
    zone = spoken_zone(request, record, directory)
    now = services.clock()
    at = None if isinstance(args.when, Now) else whole_millisecond(resolve(args.when, zone, now)[0])
    if at is not None and at > now:
        raise UserError(
            f"{local_time(at, zone)} is in the future (it is {local_time(now, zone, date=False)} "
            f"at {record.name})."
        )
    if at is None and record.status == "offline":
        raise UserError(f"{record.name} is offline right now, so it cannot take a snapshot.")
    if at is not None and (ready_at := at + services.clips.availability_lag + READY_MARGIN) > now:
        # A moment the cloud cannot have yet: post it once it does, like a clip.
        state = f"will be ready at about {local_time(ready_at, zone, date=False)}"
        return await _later(request, pending, record, at, zone, ready_at, state)
    attachment = snapshot_path(services, record.serial, at or now)
    dashboard = await services.dashboard.soon(record.serial, at or now, request.message.place)
    try:
        await services.meraki.download_snapshot(
            record.serial, attachment.path, at=at, priority=Priority.INTERACTIVE
        )
    except TooRecent as error:
        if at is None:
            raise UserError(explain(error, record.name)) from None
        retry_at = services.clock() + TOO_RECENT_RETRY
        return await _later(
            request, pending, record, at, zone, retry_at, "has not reached the Meraki cloud yet"
        )
    except MerakiError as error:
        when = local_time(at, zone) if at else None
        raise UserError(explain(error, record.name, when)) from None
    message = request.message
    reply = snapshot_reply(record, at, attachment, zone, await dashboard.result())
    sent = await request.say(reply)
    file = await snapshot_file(
        record.serial, record.name, zone, at or now, attachment, sent.place, message.person
    )
    key = command_key(FileKind.SNAPSHOT, message, record.serial)
    await record_delivery(services, key, file)
    return Outcome.OK


async def _later(
    request: Request,
    pending: PendingClips,
    record: CameraRecord,
    at: datetime,
    zone: ZoneInfo,
    due: datetime,
    state: str,
) -> Outcome:
    """Store the snapshot for later (before saying so) and tell the asker when to expect it."""
    message = request.message
    await pending.snapshots.defer(
        record, at, message.place, message.person, due, job_id=request.job_key()
    )
    moment = local_time(at, zone, date=False)
    text = f"*{record.name}* snapshot of {moment} {state} — I'll post it here."
    await request.say(Reply(text, tone=Tone.PENDING))
    return Outcome.PENDING


def command(pending: PendingClips) -> Command:
    async def handle(request: Request, tokens: list[str]) -> Outcome:
        return await run_snapshot(request, tokens, pending)

    return Command(
        help=SNAPSHOT_HELP,
        role=Role.VIEWER,
        handler=handle,
        aliases=("snap", "image"),
    )
