"""`snapshot <camera> [<when>]`: a still image from a camera, now or at a time."""

from __future__ import annotations

from datetime import UTC
from typing import TYPE_CHECKING

from bot.access import Role
from bot.commands.common import find_camera, spoken_zone
from bot.commands.grammar import SNAPSHOT_HELP, parse_snapshot
from bot.commands.when import Now, resolve
from bot.errors import UserError
from bot.explain import explain
from bot.formatting import local_time
from bot.meraki import MerakiError, Priority
from bot.messages import Attachment
from bot.replies import snapshot_reply
from bot.router import Command
from bot.store import Outcome

if TYPE_CHECKING:
    from bot.core import Request


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
