"""`allow plate`, `unallow plate`, `allowlist` and `plates alert unknown at <camera>`.

Allow-list mode (a gate, a car park after hours): the room lists the plates it knows, and
at the cameras it names hears of every plate that is not one of them — matched with the
same OCR-tolerant rules as watches, against every read of the sighting.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.access import Role
from bot.commands.common import find_camera
from bot.commands.plate_csv import CSV_FORMS_HELP
from bot.commands.plate_entries import PLATE_WORDS, parse_entry, parse_plate, trailing_hours
from bot.commands.plate_lists import LIST_WORDS, PlateLists
from bot.errors import UserError
from bot.events.allowlist import Allowlist, NewAllow
from bot.events.watchlist import Watchlist
from bot.grammar.hours import HOURS_FORMS_HELP
from bot.grammar.tokens import ParseError, is_quoted, join_words
from bot.grammar.usage import CommandHelp
from bot.messages import Reply, Tone
from bot.router import Command
from bot.store import Outcome

if TYPE_CHECKING:
    from bot.router import Request

ALLOW_HELP = CommandHelp(
    name="allow",
    usage='allow plate <plate> [note "<note>"] [hours]',
    summary="Put a plate on this room's allow-list: `plates alert unknown` stays quiet about it.",
    examples=(
        'allow plate ABC1234 note "Facilities van"',
        "allow plate XYZ789 06:00-09:00 weekdays",
    ),
    details="With hours, the plate is allowed only then. " + HOURS_FORMS_HELP,
)
UNALLOW_HELP = CommandHelp(
    name="unallow",
    usage="unallow plate <plate>",
    summary="Take a plate off this room's allow-list.",
    examples=("unallow plate ABC1234",),
)
ALLOWLIST_HELP = CommandHelp(
    name="allowlist",
    usage="allowlist [import [path] | export]",
    summary="The plates allowed here, and the cameras where other plates are announced.",
    examples=("allowlist", "allowlist export", "allowlist import (with the CSV attached)"),
    details=CSV_FORMS_HELP,
)
UNKNOWN_USAGE = "plates alert unknown at <camera> [hours] · plates alert unknown off at <camera>"


def commands(allowlist: Allowlist, watchlist: Watchlist) -> list[Command]:
    family = Allows(allowlist, PlateLists(watchlist, allowlist))
    return [
        Command(help=ALLOW_HELP, role=Role.OPERATOR, handler=family.allow),
        Command(help=UNALLOW_HELP, role=Role.OPERATOR, handler=family.unallow),
        Command(help=ALLOWLIST_HELP, role=Role.VIEWER, handler=family.listing, aliases=("allows",)),
    ]


class Allows:
    def __init__(self, allowlist: Allowlist, lists: PlateLists) -> None:
        self.allowlist = allowlist
        self.lists = lists

    async def allow(self, request: Request, tokens: list[str]) -> Outcome:
        entry = parse_entry(tokens, "allow")
        message = request.message
        created = await self.allowlist.allow(
            message.place,
            NewAllow(entry.pattern, entry.note, entry.hours),
            message.person.email or message.person.id,
        )
        when = f" during {entry.hours.text}" if entry.hours else ""
        first = "Allowed" if created else "Updated"
        text = f"{first} *{entry.pattern.text}*{when} on this room's allow-list."
        await request.say(Reply(text, tone=Tone.SUCCESS))
        return Outcome.OK

    async def unallow(self, request: Request, tokens: list[str]) -> Outcome:
        words = [w for w in tokens if w != ","]
        if words and not is_quoted(words[0]) and words[0].lower() in PLATE_WORDS:
            words = words[1:]
        if len(words) != 1:
            raise ParseError("Which plate? Try `unallow plate ABC1234`.")
        pattern = parse_plate(words[0])
        if not await self.allowlist.unallow(request.message.place, pattern):
            raise UserError(f"{pattern.text} is not on this room's allow-list.")
        await request.say(Reply(f"Took *{pattern.text}* off the allow-list.", tone=Tone.SUCCESS))
        return Outcome.OK

    async def listing(self, request: Request, tokens: list[str]) -> Outcome:
        if tokens and not is_quoted(tokens[0]) and tokens[0].lower() in LIST_WORDS:
            return await self.lists.run(request, "allowlist", tokens)
        place = request.message.place
        allows = await self.allowlist.allows(place)
        unknown = await self.allowlist.unknown_alerts(place)
        lines = [f"{len(allows)} plate{'s' if len(allows) != 1 else ''} allowed here."]
        if unknown:
            names = ", ".join(
                f"*{u.camera}*" + (f" ({u.hours.text})" if u.hours else "") for u in unknown
            )
            lines.append(f"Every other plate is announced at {names}.")
        else:
            lines.append("No camera announces unknown plates: `plates alert unknown at <camera>`.")
        rows = [("Plate", "Note", "Hours", "Added by")]
        rows += [
            (a.pattern.text, a.note or "–", a.hours.text if a.hours else "always", a.created_by)
            for a in allows
        ]
        table = tuple(rows) if allows else ()
        await request.say(Reply("\n".join(lines), title="Allow-list", table=table))
        return Outcome.OK

    async def unknown(self, request: Request, words: list[str]) -> Outcome:
        """`unknown [off] at <camera> [hours]` (after `plates alert`)."""
        rest = [w for w in words if w != ","]
        if not rest or is_quoted(rest[0]) or rest[0].lower() != "unknown":
            raise ParseError(f"Try `{UNKNOWN_USAGE}`.")
        rest = rest[1:]
        off = bool(rest) and not is_quoted(rest[0]) and rest[0].lower() == "off"
        rest = rest[1:] if off else rest
        if rest and not is_quoted(rest[0]) and rest[0].lower() in ("at", "on"):
            rest = rest[1:]
        hours, rest = (None, rest) if off else trailing_hours(rest)
        if not rest:
            raise ParseError("At which camera? Try `plates alert unknown at garage 22:00-06:00`.")
        record, _ = await find_camera(request, join_words(rest))
        message = request.message
        if off:
            stopped = await self.allowlist.stop_unknown(message.place, record.serial)
            text = (
                f"Unknown plates at *{record.name}* are no longer announced here."
                if stopped
                else f"Unknown plates at *{record.name}* were not announced here."
            )
        else:
            person = message.person.email or message.person.id
            await self.allowlist.alert_unknown(
                message.place, record.serial, record.name, hours, person
            )
            during = f" during {hours.text} ({record.name}'s local time)" if hours else ""
            text = (
                f"Every plate *{record.name}* reads that is not on this room's allow-list will "
                f"be announced here{during}, with its clip."
            )
        await request.say(Reply(text, tone=Tone.SUCCESS))
        return Outcome.OK
