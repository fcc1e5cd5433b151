"""`watch plate`, `unwatch plate`, `watchlist` and `plates follow|unfollow|recent|mute`.

A room watches plates (exact or with wildcards) and follows cameras; when a camera reads
a plate the room cares about, bot.events.announce posts a heads-up and the clip. Changing what a
room hears needs the operator role; looking needs the viewer role.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.access import Role
from bot.commands.allows import UNKNOWN_USAGE, Allows
from bot.commands.common import find_camera
from bot.commands.plate_csv import CSV_FORMS_HELP
from bot.commands.plate_entries import PLATE_WORDS, parse_entry, parse_plate, trailing_hours
from bot.commands.plate_lists import LIST_WORDS, PlateLists
from bot.commands.plate_search import PlateSearch
from bot.config.sections import PlatesSettings
from bot.errors import Refused, UserError
from bot.events.allowlist import Allowlist
from bot.events.lpr import PlatePattern, canonical
from bot.events.plate_history import PlateHistory
from bot.events.watchlist import Watch, Watchlist
from bot.grammar.formatting import local_time
from bot.grammar.hours import HOURS_FORMS_HELP, Hours
from bot.grammar.lengths import format_length, parse_length
from bot.grammar.tokens import ParseError, is_quoted, join_words
from bot.grammar.usage import CAMERA_FORMS_HELP, CommandHelp
from bot.messages import Reply, Tone
from bot.router import Command
from bot.store import Outcome

if TYPE_CHECKING:
    from bot.router import Request

RECENT_ROWS = 10
DEFAULT_MUTE = timedelta(hours=1)
_PLATE_FORMS = (
    "Plates ignore case, spaces and dashes; O/0, I/1, B/8, S/5 and Z/2 count as the same. "
    '`*` stands for any characters and `?` for one: `"ABC*"`.'
)

WATCH_HELP = CommandHelp(
    name="watch",
    usage='watch plate <plate> [cooldown <length>] [note "<note>"] [hours]',
    summary="Post a heads-up and the clip here when a camera reads this plate.",
    examples=(
        'watch plate ABC1234 note "Delivery van"',
        'watch plate ABC1234 note "night delivery" 21:00-06:00 weekdays',
        "watch plate ABC1234 9pm-6am",
        'watch plate "ABC*"',
        "watch plate XYZ789 cooldown 1m",
    ),
    details=" ".join(
        (
            _PLATE_FORMS,
            "The same watch is announced again only after its cooldown (5 min unless set).",
            "A note goes in quotes.",
            HOURS_FORMS_HELP,
            "Outside its hours a read is kept (`plates search` finds it) but nobody is told.",
        )
    ),
)
UNWATCH_HELP = CommandHelp(
    name="unwatch",
    usage="unwatch plate <plate>",
    summary="Stop watching a plate in this room.",
    examples=("unwatch plate ABC1234",),
)
WATCHLIST_HELP = CommandHelp(
    name="watchlist",
    usage="watchlist [import [path] | export]",
    summary="The plates watched and the cameras followed in this room; or the list as CSV.",
    examples=("watchlist", "watchlist export", "watchlist import (with the CSV attached)"),
    details=CSV_FORMS_HELP,
)
PLATES_HELP = CommandHelp(
    name="plates",
    usage="plates follow <camera> [hours] · plates unfollow <camera> · "
    "plates recent [camera] [plate] [since <when>] · plates search <pattern> [at <camera>] "
    "[since <when>] · plates mute <plate> [length] · " + UNKNOWN_USAGE,
    summary="Follow every plate a camera reads, search the plates read, or mute one for a while.",
    examples=(
        "plates follow garage entrance",
        "plates follow garage 22:00-06:00",
        "plates recent",
        "plates recent garage ABC*",
        "plates recent garage since yesterday 18:00",
        'plates search "ABC*"',
        "plates search AB?1234 at garage since 2h ago",
        "plates mute ABC1234 1h",
        "plates alert unknown at garage 22:00-06:00",
        "plates unfollow garage entrance",
    ),
    details="\n".join(
        (CAMERA_FORMS_HELP, _PLATE_FORMS, HOURS_FORMS_HELP, "A mute lasts 1 h unless given.")
    ),
)


def commands(
    watchlist: Watchlist, settings: PlatesSettings, history: PlateHistory, allowlist: Allowlist
) -> list[Command]:
    """The plate commands, sharing one watchlist and the configured matching rules."""
    lists = PlateLists(watchlist, allowlist)
    family = _Plates(watchlist, settings, history, Allows(allowlist, lists))
    return [
        Command(help=WATCH_HELP, role=Role.OPERATOR, handler=family.watch),
        Command(help=UNWATCH_HELP, role=Role.OPERATOR, handler=family.unwatch),
        Command(help=WATCHLIST_HELP, role=Role.VIEWER, handler=family.watchlist_of_room),
        Command(help=PLATES_HELP, role=Role.VIEWER, handler=family.plates, aliases=("plate",)),
    ]


class _Plates:
    def __init__(
        self, watchlist: Watchlist, settings: PlatesSettings, history: PlateHistory, allows: Allows
    ) -> None:
        self.watchlist = watchlist
        self.settings = settings
        self.history = PlateSearch(history, settings)
        self.allows = allows

    async def watch(self, request: Request, tokens: list[str]) -> Outcome:
        entry = parse_entry(tokens, "watch", cooldown=True)
        pattern, note = entry.pattern, entry.note
        message = request.message
        watch, created = await self.watchlist.add_watch(
            message.place,
            pattern,
            note,
            entry.cooldown,
            message.person.email or message.person.id,
            entry.hours,
        )
        every = format_length(watch.cooldown or self.settings.cooldown)
        what = f"*{pattern.text}*" + (f" ({note})" if note else "")
        first = "Watching" if created else "Updated the watch on"
        when = (
            f"When a camera reads it {_during(entry.hours)}"
            if entry.hours
            else "When a camera reads it"
        )
        text = (
            f"{first} {what} in this room. {when} I'll post a heads-up "
            f"here, then the clip; the same plate is announced again after {every} at most "
            "once."
        )
        await request.say(Reply(text, tone=Tone.SUCCESS))
        return Outcome.OK

    async def unwatch(self, request: Request, tokens: list[str]) -> Outcome:
        words = [w for w in tokens if w != ","]
        if words and not is_quoted(words[0]) and words[0].lower() in PLATE_WORDS:
            words = words[1:]
        if len(words) != 1:
            raise ParseError("Which plate? Try `unwatch plate ABC1234`.")
        pattern = parse_plate(words[0])
        place = request.message.place
        watches = await self.watchlist.watches(place)
        found = next((w for w in watches if w.pattern == pattern), None) or _same_plate(
            watches, pattern
        )
        if found is None:
            listed = ", ".join(f"`{w.pattern.text}`" for w in watches[:8])
            raise UserError(
                f"This room does not watch {pattern.text}"
                + (f" — it watches {listed}." if listed else " — its watchlist is empty.")
            )
        await self.watchlist.remove_watch(place, found.pattern)
        await request.say(
            Reply(f"Stopped watching *{found.pattern.text}* here.", tone=Tone.SUCCESS)
        )
        return Outcome.OK

    async def watchlist_of_room(self, request: Request, tokens: list[str]) -> Outcome:
        if tokens and not is_quoted(tokens[0]) and tokens[0].lower() in LIST_WORDS:
            return await self.allows.lists.run(request, "watchlist", tokens)
        place = request.message.place
        watches = await self.watchlist.watches(place)
        follows = await self.watchlist.follows(place)
        if not watches and not follows:
            text = (
                "Nothing is watched here. Add a plate with `watch plate ABC1234 [note]` or "
                "follow a camera with `plates follow <camera>`."
            )
            await request.say(Reply(text, title="Watchlist"))
            return Outcome.OK
        rows = [("Plate", "Note", "Hours", "Cooldown", "Added by")]
        rows += [
            (
                w.pattern.text,
                w.note or "–",
                w.hours.text if w.hours else "always",
                format_length(w.cooldown or self.settings.cooldown),
                w.created_by,
            )
            for w in watches
        ]
        lines = [f"{len(watches)} plate{'s' if len(watches) != 1 else ''} watched here."]
        if follows:
            names = ", ".join(
                f"*{f.camera}*" + (f" ({f.hours.text})" if f.hours else "") for f in follows
            )
            lines.append(f"Every plate is followed at {names}.")
        reply = Reply("\n".join(lines), title="Watchlist", table=tuple(rows) if watches else ())
        await request.say(reply)
        return Outcome.OK

    async def plates(self, request: Request, tokens: list[str]) -> Outcome:
        words = [w for w in tokens if w != ","]
        action = words[0].lower() if words and not is_quoted(words[0]) else ""
        rest = words[1:]
        if action in ("follow", "unfollow", "mute", "alert"):
            _need_operator(request, f"plates {action}")
        if action == "alert":
            return await self.allows.unknown(request, rest)
        if action == "follow":
            return await self._follow(request, rest, follow=True)
        if action == "unfollow":
            return await self._follow(request, rest, follow=False)
        if action in ("recent", "last", "seen"):
            return await self.history.recent(request, rest)
        if action in ("search", "find"):
            return await self.history.search(request, rest)
        if action == "mute":
            return await self._mute(request, rest)
        raise ParseError(
            "Try `plates follow <camera>`, `plates unfollow <camera>`, "
            "`plates recent [camera] [plate] [since <when>]`, `plates search <pattern>`, "
            f"`plates mute <plate> [length]` or `{UNKNOWN_USAGE}`."
        )

    async def _follow(self, request: Request, words: list[str], *, follow: bool) -> Outcome:
        verb = "follow" if follow else "unfollow"
        hours, words = trailing_hours(words) if follow else (None, words)
        if not words:
            raise ParseError(f"Which camera? Try `plates {verb} garage entrance`.")
        record, _ = await find_camera(request, join_words(words))
        message = request.message
        if follow:
            person = message.person.email or message.person.id
            added = await self.watchlist.follow(
                message.place, record.serial, record.name, person, hours
            )
            during = f" {_during(hours)}" if hours else ""
            text = (
                f"Following every plate *{record.name}* reads{during}, in this room."
                if added
                else f"This room already follows *{record.name}*; its hours are now "
                f"{hours.text if hours else 'always'}."
            )
            if added and not record.lpr:
                text += f" ({record.name} is not tagged `lpr`: plates come only if it sends reads.)"
        else:
            removed = await self.watchlist.unfollow(message.place, record.serial)
            text = (
                f"No longer following *{record.name}* here."
                if removed
                else f"This room does not follow *{record.name}*."
            )
        await request.say(Reply(text, tone=Tone.SUCCESS))
        return Outcome.OK

    async def _mute(self, request: Request, words: list[str]) -> Outcome:
        if not words:
            raise ParseError("Which plate? Try `plates mute ABC1234 1h`.")
        pattern = parse_plate(words[0])
        if pattern.wildcard:
            raise ParseError("Mute one plate at a time — without `*` or `?`.")
        length = parse_length(words[1:]) if len(words) > 1 else DEFAULT_MUTE
        services, message = request.services, request.message
        until = services.clock() + length
        person = message.person.email or message.person.id
        await self.watchlist.mute(message.place, pattern.text, until, person)
        zone = ZoneInfo(services.room_zones.get(message.place.room_id, "UTC"))
        text = (
            f"Muted *{pattern.text}* in this room for {format_length(length)} "
            f"(until {local_time(until, zone, date=False)})."
        )
        await request.say(Reply(text, tone=Tone.SUCCESS))
        return Outcome.OK


def _during(hours: Hours | None) -> str:
    return f"during {hours.text} (the camera's local time)" if hours else ""


def _need_operator(request: Request, what: str) -> None:
    if request.role < Role.OPERATOR:
        has = "no role" if request.role is Role.NONE else f"the {request.role.label} role"
        raise Refused(
            f"Sorry, `{what}` needs the operator role, and you have {has} here. "
            "Ask an mvbot admin to grant it."
        )


def _same_plate(watches: Sequence[Watch], pattern: PlatePattern) -> Watch | None:
    """The one watch that is this plate once OCR confusions are ignored ('A8C' for 'ABC')."""
    same = [w for w in watches if canonical(w.pattern.text) == canonical(pattern.text)]
    return same[0] if len(same) == 1 and not pattern.wildcard else None
