"""`snapshot <camera> [<when>]`: a still image from a camera, now or at a time."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC
from typing import TYPE_CHECKING

from bot.access import Role
from bot.clips.replies import snapshot_reply
from bot.commands.common import find_camera, spoken_zone
from bot.errors import UserError
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
from bot.meraki import MerakiError, Priority
from bot.meraki.explain import explain
from bot.messages import Attachment
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


async def run_snapshot(request: Request, tokens: list[str]) -> Outcome:
    services = request.services
    args = parse_snapshot(tokens)
    record, directory = await find_camera(request, args.camera)
    zone = spoken_zone(request, record, directory)
    now = services.clock()
    at = None if isinstance(args.when, Now) else resolve(args.when, zone, now)[0]
    if at is not None and at > now:
        raise UserError(
            f"{local_time(at, zone)} is in the future (it is {local_time(now, zone, date=False)} "
            f"at {record.name})."
        )
    if at is None and record.status == "offline":
        raise UserError(f"{record.name} is offline right now, so it cannot take a snapshot.")
    moment = (at or now).astimezone(UTC)
    dest = services.files / f"{record.serial.lower()}_{moment:%Y-%m-%dT%H%M%SZ}.jpg"
    try:
        await services.meraki.download_snapshot(
            record.serial, dest, at=at, priority=Priority.INTERACTIVE
        )
    except MerakiError as error:
        when = local_time(at, zone) if at else None
        raise UserError(explain(error, record.name, when)) from None
    attachment = Attachment(dest, "image", "image/jpeg", dest.name)
    await request.say(snapshot_reply(record, at, attachment, zone))
    return Outcome.OK


COMMAND = Command(
    help=SNAPSHOT_HELP,
    role=Role.VIEWER,
    handler=run_snapshot,
    aliases=("snap", "image"),
)
