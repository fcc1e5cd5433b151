"""`link sensor … to <cameras>`, `unlink sensor … [from <cameras>]` and `sensors`.

A sensor (a Meraki MT, or whatever a generic event names in `sensor`) is linked to the
cameras that see what it senses: its alert then posts one heads-up and each camera's clip
in the thread (bot.events.announce). Changing links needs the admin role.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.access import Role
from bot.commands.common import find_camera
from bot.config.sections import SensorsSettings
from bot.errors import UserError
from bot.events.sensor_links import MAX_SENSOR, SensorLinks, sensor_key
from bot.grammar.tokens import ParseError, is_quoted, join_words
from bot.grammar.usage import CAMERA_FORMS_HELP, CommandHelp
from bot.messages import Reply, Tone, literal
from bot.router import Command
from bot.store import Outcome

if TYPE_CHECKING:
    from bot.cameras.directory import CameraRecord
    from bot.router import Request

SENSORS_HELP = CommandHelp(
    name="sensors",
    usage="sensors · link sensor <name|serial> to <camera>, <camera> · "
    "unlink sensor <name|serial> [from <camera>, …]",
    summary="Link a door, water or temperature sensor to the cameras that see it, or list links.",
    examples=(
        "sensors",
        'link sensor "Back door" to lobby, garage entrance',
        "unlink sensor Q3CA-DOOR-0001",
    ),
    details="When a linked sensor alerts (a Meraki MT alert, or an event naming the sensor) "
    "the room gets one heads-up and each camera's clip in its thread. " + CAMERA_FORMS_HELP,
)
LINK_HELP = CommandHelp(
    name="link",
    usage="link sensor <name|serial> to <camera>, <camera>",
    summary="Link a sensor to the cameras that see it (see `help sensors`).",
    examples=('link sensor "Back door" to lobby, garage entrance',),
)
UNLINK_HELP = CommandHelp(
    name="unlink",
    usage="unlink sensor <name|serial> [from <camera>, <camera>]",
    summary="Remove a sensor's links, or those to some cameras (see `help sensors`).",
    examples=("unlink sensor Back door", "unlink sensor Back door from lobby"),
)


def parse_link(tokens: Sequence[str], joint: str, usage: str) -> tuple[str, list[str]]:
    """('sensor name', ['camera', …]) from `sensor <name> <joint> <camera>, <camera>`."""
    words = list(tokens)
    if not words or is_quoted(words[0]) or words[0].lower() != "sensor":
        raise ParseError(f"Try `{usage}`.")
    words = words[1:]
    at = next((i for i, w in enumerate(words) if not is_quoted(w) and w.lower() == joint), None)
    name_words, camera_words = (words, []) if at is None else (words[:at], words[at + 1 :])
    sensor = join_words([w for w in name_words if w != ","]).strip()
    if not sensor:
        raise ParseError(f"Which sensor? Try `{usage}`.")
    if len(sensor) > MAX_SENSOR:
        raise ParseError(f"A sensor's name is at most {MAX_SENSOR} characters.")
    cameras: list[str] = []
    current: list[str] = []
    for word in [*camera_words, ","]:
        if word == "," and not is_quoted(word):
            if join_words(current).strip():
                cameras.append(join_words(current).strip())
            current = []
        else:
            current.append(word)
    if at is not None and not cameras:
        raise ParseError(f"Which cameras? Try `{usage}`.")
    return sensor, cameras


class _Sensors:
    def __init__(self, links: SensorLinks, settings: SensorsSettings) -> None:
        self.links = links
        self.settings = settings

    async def _cameras(self, request: Request, names: Sequence[str]) -> list[CameraRecord]:
        found: dict[str, CameraRecord] = {}
        for name in names:
            record, _ = await find_camera(request, name)
            found.setdefault(record.serial, record)
        return list(found.values())

    async def link(self, request: Request, tokens: list[str]) -> Outcome:
        sensor, names = parse_link(tokens, "to", LINK_HELP.usage)
        if not names:
            raise ParseError(f"Which cameras? Try `{LINK_HELP.usage}`.")
        records = await self._cameras(request, names)
        person = request.message.person
        serials = [r.serial for r in records]
        added = await self.links.link(sensor, serials, person.email or person.id)
        listed = ", ".join(f"*{literal(r.name)}*" for r in records)
        first = "Linked" if added else "Already linked:"
        text = (
            f"{first} sensor *{literal(sensor)}* to {listed}. When it alerts, the room its "
            "alerts are routed to gets a heads-up and each camera's clip in the thread."
        )
        await request.say(Reply(text, tone=Tone.SUCCESS))
        return Outcome.OK

    async def unlink(self, request: Request, tokens: list[str]) -> Outcome:
        sensor, names = parse_link(tokens, "from", UNLINK_HELP.usage)
        records = await self._cameras(request, names) if names else []
        removed = await self.links.unlink(sensor, [r.serial for r in records])
        if not removed:
            raise UserError(f"No stored link of sensor '{sensor}' matches — say `sensors`.")
        text = f"Removed {removed} link{'s' if removed != 1 else ''} of sensor *{literal(sensor)}*."
        await request.say(Reply(text, tone=Tone.SUCCESS))
        return Outcome.OK

    async def list_links(self, request: Request, tokens: list[str]) -> Outcome:
        directory = await request.services.catalog.directory()
        rows = [("Sensor", "Cameras", "From")]
        for sensor, serials in (await self.links.all()).items():
            names = [r.name if (r := directory.get(s)) else s for s in serials]
            rows.append((sensor, ", ".join(names), "command"))
        for sensor, cameras in self.settings.links.items():
            rows.append((sensor_key(sensor), ", ".join(cameras), "configuration"))
        if len(rows) == 1:
            text = 'No sensor is linked. Try `link sensor "Back door" to lobby`.'
            await request.say(Reply(text, title="Sensors"))
            return Outcome.OK
        count = len(rows) - 1
        text = f"{count} sensor link{'s' if count != 1 else ''}."
        await request.say(Reply(text, title="Sensors", table=tuple(rows)))
        return Outcome.OK


def commands(links: SensorLinks, settings: SensorsSettings) -> list[Command]:
    family = _Sensors(links, settings)
    return [
        Command(help=SENSORS_HELP, role=Role.ADMIN, handler=family.list_links),
        Command(help=LINK_HELP, role=Role.ADMIN, handler=family.link),
        Command(help=UNLINK_HELP, role=Role.ADMIN, handler=family.unlink),
    ]
