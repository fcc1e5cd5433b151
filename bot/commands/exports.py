"""`export <camera> <when> [ts] [at <time>]`, `export cancel|delete N`, `export combine N M`,
and `exports`: long footage fetched in the background (bot.exports)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.access import Role
from bot.clips.parts import ClipSpec
from bot.clips.retries import READY_MARGIN, person_to_json
from bot.clips.several import CLOCK_SLACK
from bot.commands.clip import ClipArgs, clip_span, parse_clip
from bot.commands.common import find_camera, spoken_zone
from bot.errors import Refused, UserError
from bot.exports import LONGEST, SHORTEST, Export, ExportService, ExportStatus
from bot.exports.wording import done_reply, list_reply
from bot.grammar.formatting import duration, local_span, local_time
from bot.grammar.tokens import ParseError, is_quoted
from bot.grammar.usage import CAMERA_FORMS_HELP, CommandHelp
from bot.grammar.when import TIME_FORMS_HELP, At, WhenSpec, parse_when, resolve
from bot.media import Container, MediaError
from bot.messages import Reply, Tone, literal
from bot.router import Command
from bot.store import Outcome

if TYPE_CHECKING:
    from bot.router import Request

# Exports leave the room as files and links anyone holding them can open for an hour, and
# they load the organisation's uplink: like shares, they need the operator role (seed 001:
# exporting needs "export privileges"); viewers keep clips of up to `[clips] max_length`.
EXPORT_ROLE = Role.OPERATOR

EXPORT_HELP = CommandHelp(
    name="export",
    usage="export <camera> <when> [<length>] [ts] [at <time>] · export cancel|delete <n> · "
    "export combine <n> <m>",
    summary="Export 5 s to 12 h of footage in the background, with a download link and SHA-256.",
    examples=(
        "export lobby yesterday 08:00-20:00",
        "export lobby today 08:00-20:00 at 22:00",
        "export garage entrance 2h ago 2h ts",
        "export cancel 3",
        "export delete 3",
        "export combine 3 4",
    ),
    details="\n".join(
        (
            CAMERA_FORMS_HELP,
            TIME_FORMS_HELP,
            "An export lasts 5 s to 12 h. It runs in the background at low priority (people's "
            "clips go first), edits one message with its progress and survives restarts.",
            "`at <time>` schedules it (after hours, say); `ts` keeps MPEG-TS instead of MP4.",
            "When done: a download link good for one hour and the file's SHA-256; `exports` "
            "lists this room's exports with fresh links. Exports need the operator role; "
            "only whoever asked, or an admin, may cancel or delete one.",
        )
    ),
)

EXPORTS_HELP = CommandHelp(
    name="exports",
    usage="exports",
    summary="List this room's recent exports, with a fresh download link to each finished one.",
    examples=("exports",),
    details="Each row: camera, span, size, SHA-256, who asked and the status.",
)

_ACTIONS = ("cancel", "delete", "combine")


def commands(service: ExportService) -> list[Command]:
    async def export(request: Request, tokens: list[str]) -> Outcome:
        return await run_export(request, tokens, service)

    async def listing(request: Request, tokens: list[str]) -> Outcome:
        return await list_exports(request, service)

    return [
        Command(help=EXPORT_HELP, role=EXPORT_ROLE, handler=export),
        Command(help=EXPORTS_HELP, role=EXPORT_ROLE, handler=listing),
    ]


# grammar --------------------------------------------------------------------------------


def split_schedule(tokens: Sequence[str]) -> tuple[ClipArgs, WhenSpec | None]:
    """`<clip words> at <time>`: the export asked for, and when to run it (None: now).

    "at" also begins a clip time (`export lobby at 14:30`), so the last "at" schedules only
    when the words before it still read as a whole export."""
    for index in range(len(tokens) - 1, 0, -1):
        word = tokens[index]
        if is_quoted(word) or word.lower() != "at":
            continue
        try:
            return parse_clip(tokens[:index]), parse_when(tokens[index + 1 :])
        except ParseError:
            break
    return parse_clip(tokens), None


def _numbers(tokens: Sequence[str], action: str, count: int) -> list[int]:
    example = "export combine 3 4" if action == "combine" else f"export {action} 3"
    numbers = [t.removeprefix("#") for t in tokens if t != ","]
    if len(numbers) < count or not all(n.isdigit() for n in numbers):
        raise ParseError(f"Which export? Give its number from `exports`, e.g. `{example}`.")
    if action != "combine" and len(numbers) > 1:
        raise ParseError(f"One export at a time, e.g. `{example}`.")
    return [int(n) for n in numbers]


# handlers -------------------------------------------------------------------------------


async def run_export(request: Request, tokens: list[str], service: ExportService) -> Outcome:
    if tokens and not is_quoted(tokens[0]) and tokens[0].lower() in _ACTIONS:
        action, rest = tokens[0].lower(), tokens[1:]
        if action == "combine":
            return await _combine(request, service, _numbers(rest, action, 2))
        export = await _own_export(request, service, _numbers(rest, action, 1)[0])
        if action == "cancel":
            return await _cancel(request, service, export)
        return await _delete(request, service, export)
    return await _start(request, tokens, service)


async def _start(request: Request, tokens: list[str], service: ExportService) -> Outcome:
    args, run_at = split_schedule(tokens)
    tracker = request.tracker
    command = f"{tracker.platform}:{tracker.key}" if tracker is not None else None
    if command is not None and (earlier := await service.store.by_command(command)):
        # This command was run before a restart cut it short: the export is stored already.
        text = f"Export #{earlier.id} of *{literal(earlier.camera)}* is {earlier.status.value}."
        await request.say(Reply(text, tone=Tone.PENDING))
        return Outcome.PENDING
    record, directory = await find_camera(request, args.camera)
    zone = spoken_zone(request, record, directory)
    services, now = request.services, request.services.clock()
    start, end = clip_span(args, zone, now)
    check_export_span(start, end)
    if run_at is None and start > now + CLOCK_SLACK:
        raise UserError(
            f"{local_time(start, zone)} is in the future — I can only export footage that has "
            f"been recorded, or schedule it: `export {literal(record.name.lower())} … at 22:00`."
        )
    ready_at = end + services.clips.availability_lag + READY_MARGIN
    due = max(ready_at, now if run_at is None else _next(run_at, zone, now))
    container: Container = "ts" if args.keep_ts else "mp4"
    spec = ClipSpec(record.serial, record.name, start, end, None, container)
    message = request.message
    person = person_to_json(message.person)
    export = await service.add(spec, message.place, person, due, command)
    span = local_span(start, end, zone)
    parts = f"{export.parts_total} part{'s' if export.parts_total != 1 else ''}"
    what = (
        f"Export #{export.id}: *{literal(record.name)}* {span} ({duration(end - start)}, {parts})"
    )
    if due > now + CLOCK_SLACK:
        text = f"{what} is scheduled for {local_time(due, zone)}. I'll post it here."
        await request.say(Reply(text, tone=Tone.PENDING))
        return Outcome.PENDING
    await request.say(Reply(f"{what} has started; I'll post it here.", tone=Tone.PENDING))
    return Outcome.PENDING


def check_export_span(start: datetime, end: datetime) -> None:
    """Seed 001's limits, in its words."""
    if not SHORTEST <= end - start <= LONGEST:
        raise UserError(
            f"That is {duration(end - start)}: the minimum time allowed for a single export "
            "is 5 seconds and the maximum is 12 hours."
        )


def _next(spec: WhenSpec, zone: ZoneInfo, now: datetime) -> datetime:
    """When `at <time>` next comes: a bare clock time means its next occurrence."""
    at, _ = resolve(spec, zone, now)
    if isinstance(spec, At) and spec.floating and at <= now:
        at = resolve(spec, zone, now + timedelta(days=1))[0]
    return at


async def _own_export(request: Request, service: ExportService, export_id: int) -> Export:
    """The export numbered `export_id` in this room, if this person may change it."""
    export = await service.store.get(export_id)
    if export is None or export.place.room_id != request.message.place.room_id:
        raise UserError(f"There is no export #{export_id} in this room — `exports` lists them.")
    person = request.message.person
    if request.role < Role.ADMIN and export.person.get("id") != person.id:
        raise Refused(
            f"Export #{export_id} is {literal(export.asker)}'s: only they or an admin may "
            "change it."
        )
    return export


async def _cancel(request: Request, service: ExportService, export: Export) -> Outcome:
    if not export.status.unfinished:
        raise UserError(
            f"Export #{export.id} is {export.status.value}; only a scheduled or running "
            f"export can be cancelled (`export delete {export.id}` removes a file)."
        )
    await service.cancel(export)
    await request.say(Reply(f"Export #{export.id} is cancelled.", tone=Tone.SUCCESS))
    return Outcome.OK


async def _delete(request: Request, service: ExportService, export: Export) -> Outcome:
    if export.status in (ExportStatus.DELETED, ExportStatus.EXPIRED):
        raise UserError(f"Export #{export.id} is already {export.status.value}.")
    await service.delete(export)
    text = f"Export #{export.id} is deleted; its checksum stays on record."
    await request.say(Reply(text, tone=Tone.SUCCESS))
    return Outcome.OK


async def _combine(request: Request, service: ExportService, numbers: list[int]) -> Outcome:
    if len(set(numbers)) != len(numbers):
        raise UserError("Name each export once, e.g. `export combine 3 4`.")
    exports = []
    for number in numbers:
        export = await service.store.get(number)
        if export is None or export.place.room_id != request.message.place.room_id:
            raise UserError(f"There is no export #{number} in this room — `exports` lists them.")
        if export.status is not ExportStatus.DONE:
            raise UserError(f"Export #{number} is {export.status.value}, not finished.")
        exports.append(export)
    if len({e.container for e in exports}) > 1:
        raise UserError("Those exports are of different formats (MP4 and TS); combine one kind.")
    message = request.message
    try:
        combined, info = await service.combine(
            exports, message.place, person_to_json(message.person)
        )
    except MediaError as error:
        raise UserError(f"Those exports could not be combined: {error}.") from None
    zone = await service.zone(combined.serial)
    sent = await request.say(done_reply(combined, info, zone, service.link(info.path)))
    await service.log_delivery(combined, info, zone, sent.place)
    return Outcome.OK


async def list_exports(request: Request, service: ExportService) -> Outcome:
    recent = await service.store.recent(request.message.place.room_id)
    rows = [(export, await service.zone(export.serial)) for export in recent]
    urls = {
        e.id: service.link(service.folder / e.filename)
        for e, _ in rows
        if e.status is ExportStatus.DONE and e.filename
    }
    await request.say(list_reply(rows, urls))
    return Outcome.OK
