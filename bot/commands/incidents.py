"""`incident …` and `incidents`: several cameras' clips and events for one window, kept as a
numbered incident with a timeline page and an evidence package."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.access import Role
from bot.clips.several import check_span
from bot.commands.clip import ClipArgs, clip_span, parse_clip
from bot.commands.common import find_camera, find_cameras, spoken_zone
from bot.errors import Refused, UserError
from bot.grammar.cameras import CAMERA_LIST_HELP
from bot.grammar.tokens import ParseError, is_quoted, join_words
from bot.grammar.usage import CAMERA_FORMS_HELP, CommandHelp
from bot.grammar.when import TIME_FORMS_HELP
from bot.incidents.incident import Incident
from bot.incidents.service import IncidentService
from bot.incidents.summaries import list_reply, started_reply
from bot.messages import Reply, Tone, literal
from bot.router import Command
from bot.store import Outcome

if TYPE_CHECKING:
    from bot.router import Request

# grammar --------------------------------------------------------------------------------

MAX_NOTE = 500

INCIDENT_HELP = CommandHelp(
    name="incident",
    usage='incident <cameras> <when> [<length>] ["note"] | incident <n> [add <camera> | revoke]',
    summary="Keep several cameras' clips and events of one window as a numbered incident, "
    "with a timeline page and an evidence package (ZIP).",
    examples=(
        'incident lobby, garage entrance, warehouse 14:30 5m "forklift collision"',
        "incident @HQ 10m ago 2m",
        "incident 12",
        "incident 12 add warehouse",
        "incident 12 revoke",
    ),
    details="\n".join(
        (
            CAMERA_FORMS_HELP,
            CAMERA_LIST_HELP,
            TIME_FORMS_HELP,
            "The length defaults to 30 s, as for a clip; a quoted note at the end says "
            "what happened.",
            "The reply links a timeline page (every camera in sync, the stored events on the "
            "time axis) and a ZIP with every clip and a manifest.json of their SHA-256; the "
            "reply carries the manifest's own SHA-256.",
            "`incident <n> add <camera>` fetches one more camera's clip and packages it again; "
            "`incident <n> revoke` ends the links (the asker or an operator).",
        )
    ),
)

INCIDENTS_HELP = CommandHelp(
    name="incidents",
    usage="incidents",
    summary="List this room's incidents, newest first.",
    examples=("incidents",),
)


@dataclass(frozen=True)
class NewIncident:
    clip: ClipArgs
    note: str


@dataclass(frozen=True)
class IncidentAction:
    number: int
    action: str  # show, add, revoke
    camera: str = ""


def parse_incident(tokens: Sequence[str]) -> NewIncident | IncidentAction:
    if not tokens:
        raise ParseError(f"Which cameras, and when? Try `{INCIDENT_HELP.examples[0]}`.")
    first = tokens[0]
    if not is_quoted(first) and first.lstrip("#").isdigit():
        return _parse_action(int(first.lstrip("#")), tokens[1:])
    words = list(tokens)
    note = ""
    if len(words) > 1 and is_quoted(words[-1]):
        note = str(words.pop()).strip()
    if len(note) > MAX_NOTE:
        raise ParseError(f"A note can be up to {MAX_NOTE} characters; that one is {len(note)}.")
    try:
        args = parse_clip(words)
    except ParseError as error:
        # The clip grammar's examples, in this command's words.
        text = str(error).replace("`clip ", "`incident ").replace("'clip ", "'incident ")
        raise ParseError(text) from None
    if args.keep_ts:
        raise ParseError("An incident keeps MP4 files; drop `ts`.")
    return NewIncident(args, note)


def _parse_action(number: int, rest: Sequence[str]) -> IncidentAction:
    if not rest:
        return IncidentAction(number, "show")
    verb = rest[0].lower() if not is_quoted(rest[0]) else ""
    if verb == "revoke" and len(rest) == 1:
        return IncidentAction(number, "revoke")
    if verb == "add":
        camera = join_words([w for w in rest[1:] if w != ","]).strip()
        if not camera:
            raise ParseError(f"Which camera? Try `incident {number} add warehouse`.")
        return IncidentAction(number, "add", camera)
    raise ParseError(
        f"Try `incident {number}`, `incident {number} add <camera>` or `incident {number} revoke`."
    )


# handlers -------------------------------------------------------------------------------


def commands(service: IncidentService) -> list[Command]:
    async def incident(request: Request, tokens: list[str]) -> Outcome:
        parsed = parse_incident(tokens)
        if isinstance(parsed, NewIncident):
            return await _create(request, service, parsed)
        found = await _visible(request, service, parsed.number)
        if parsed.action == "add":
            return await _add(request, service, found, parsed.camera)
        if parsed.action == "revoke":
            return await _revoke(request, service, found)
        await request.say(await service.reply(found))
        return Outcome.OK

    async def incidents(request: Request, tokens: list[str]) -> Outcome:
        if tokens:
            raise ParseError("`incidents` takes no words; `incident <number>` shows one.")
        found = await service.store.in_room(request.message.place)
        counts = await service.store.camera_counts([i.id for i in found])
        await request.say(list_reply(found, counts))
        return Outcome.OK

    return [
        Command(help=INCIDENT_HELP, role=Role.VIEWER, handler=incident),
        Command(help=INCIDENTS_HELP, role=Role.VIEWER, handler=incidents),
    ]


async def _create(request: Request, service: IncidentService, asked: NewIncident) -> Outcome:
    services, message = request.services, request.message
    args = asked.clip
    problems: Sequence[str] = ()
    if args.cameras is not None:
        selection, directory = await find_cameras(request, args.cameras)
        records, problems = list(selection.cameras), selection.problems
    else:
        record, directory = await find_camera(request, args.camera)
        records = [record]
    zone = spoken_zone(request, records[0], directory)
    start, end = clip_span(args, zone, services.clock())
    check_span(services, start, end, zone, records[0].name)
    key = request.tracker.key if request.tracker is not None else None
    incident, due = await service.create(
        records, start, end, zone.key, asked.note, message.place, message.person, key
    )
    reply = started_reply(incident, due, services.clock())
    if problems:
        reply = Reply(reply.text, tone=Tone.WARNING, title=reply.title, context=tuple(problems))
    await request.say(reply)
    return Outcome.PENDING


async def _visible(request: Request, service: IncidentService, number: int) -> Incident:
    """Incident `number`, if it was asked in this room (another room's stays unseen)."""
    found = await service.store.incident(number)
    place = request.message.place
    if found is None or (found.place.platform, found.place.room_id) != (
        place.platform,
        place.room_id,
    ):
        raise UserError(f"There is no incident {number} in this room — `incidents` lists them.")
    return found


async def _add(
    request: Request, service: IncidentService, incident: Incident, name: str
) -> Outcome:
    record, _ = await find_camera(request, name)
    if incident.camera(record.serial) is not None:
        raise UserError(f"{record.name} is already in incident {incident.id}.")
    cap = request.services.clips.max_cameras
    if len(incident.cameras) >= cap:
        raise UserError(
            f"Incident {incident.id} has {len(incident.cameras)} cameras, the most one "
            "incident may hold."
        )
    due = await service.add(incident, record, request.message.person)
    fresh = await service.store.incident(incident.id)
    assert fresh is not None
    await request.say(started_reply(fresh, due, request.services.clock()))
    return Outcome.PENDING


async def _revoke(request: Request, service: IncidentService, incident: Incident) -> Outcome:
    person = request.message.person
    if request.role < Role.OPERATOR and incident.asker.get("id") != person.id:
        raise Refused(
            f"Only the person who asked for incident {incident.id} or an operator may revoke it."
        )
    if not await service.store.revoke(incident.id, request.services.clock()):
        await request.say(Reply(f"Incident {incident.id}'s links were already revoked."))
        return Outcome.OK
    note = f" “{literal(incident.note)}”" if incident.note else ""
    text = f"Incident {incident.id}{note}: its timeline and evidence links no longer work."
    await request.say(Reply(text, tone=Tone.SUCCESS))
    return Outcome.OK
