"""`plates search <pattern> [at <camera>] [since <when>]` and `plates recent [camera] [plate]
[since <when>]`: the stored sightings, a page at a time, each with a button for its clip.

Only cameras the room may see are searched. Times are read and shown in the camera's zone
when one camera is named, else the room's (else UTC).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.cameras.directory import CameraRecord
from bot.commands.common import find_camera
from bot.commands.plate_entries import parse_plate
from bot.config.sections import PlatesSettings
from bot.events.lpr import PlatePattern, looks_like_plate
from bot.events.plate_history import HistoryQuery, PlateHistory
from bot.events.watchlist import SightingRow
from bot.grammar.formatting import iso_utc, local_time
from bot.grammar.tokens import ParseError, Unrecognised, is_quoted, join_words
from bot.grammar.when import parse_when, resolve
from bot.messages import Button, Reply
from bot.store import Outcome

if TYPE_CHECKING:
    from bot.router import Request

PAGE = 10  # rows per reply; "Older" pages on
_TIME_WORDS = ("since", "before")
_AT_WORDS = frozenset({"at", "on", "camera"})


@dataclass(frozen=True)
class HistoryAsk:
    subject: list[str]  # the words before `since`/`before`
    since: list[str]
    before: list[str]


def split_ask(words: Sequence[str]) -> HistoryAsk:
    """Cut `… since <when> before <when>` into its parts (either may be missing)."""
    parts: dict[str, list[str]] = {"": [], "since": [], "before": []}
    current = ""
    for word in words:
        lower = "" if is_quoted(word) else word.lower()
        if lower in _TIME_WORDS:
            if parts[lower]:
                raise ParseError(f"Say `{lower}` once.")
            current = lower
            parts[current] = []
            continue
        parts[current].append(word)
    for word in _TIME_WORDS:
        if word in [w.lower() for w in words if not is_quoted(w)] and not parts[word]:
            raise ParseError(f"{word.capitalize()} when? Try `plates recent garage since 18:00`.")
    return HistoryAsk(parts[""], parts["since"], parts["before"])


class PlateSearch:
    """The history half of `plates`."""

    def __init__(self, history: PlateHistory, settings: PlatesSettings) -> None:
        self.history = history
        self.settings = settings

    async def search(self, request: Request, words: list[str]) -> Outcome:
        ask = split_ask(words)
        subject = ask.subject
        if not subject:
            raise ParseError('Which plates? Try `plates search "ABC*"` or `plates search AB?1234`.')
        pattern = parse_plate(subject[0])
        camera_words = subject[1:]
        if camera_words and not is_quoted(camera_words[0]) and camera_words[0].lower() in _AT_WORDS:
            camera_words = camera_words[1:]
        return await self._answer(request, "search", pattern, camera_words, ask)

    async def recent(self, request: Request, words: list[str]) -> Outcome:
        ask = split_ask(words)
        subject = ask.subject
        pattern: PlatePattern | None = None
        at = [i for i, w in enumerate(subject) if not is_quoted(w) and w.lower() in _AT_WORDS]
        if at:  # `[plate] at <camera>`: a serial there is never taken for a plate
            before, subject = subject[: at[0]], subject[at[0] + 1 :]
            if len(before) > 1:
                raise ParseError("One plate before `at`: `plates recent ABC* at garage`.")
            pattern = parse_plate(before[0]) if before else None
        elif subject and looks_like_plate(subject[-1]):
            pattern, subject = parse_plate(subject[-1]), subject[:-1]
        return await self._answer(request, "recent", pattern, subject, ask)

    async def _answer(
        self,
        request: Request,
        verb: str,
        pattern: PlatePattern | None,
        camera_words: list[str],
        ask: HistoryAsk,
    ) -> Outcome:
        services, place = request.services, request.message.place
        directory = await services.catalog.directory()
        camera: CameraRecord | None = None
        if camera_words:
            camera, directory = await find_camera(request, join_words(camera_words))
            serials = [camera.serial]
            zone = directory.zone(camera)
        else:
            serials = [r.serial for r in directory if services.access.may_see(r.tags, place)]
            zone = ZoneInfo(services.room_zones.get(place.room_id, "UTC"))
        now = services.clock()
        query = HistoryQuery(
            pattern,
            serials,
            since=_moment(ask.since, zone, now),
            before=_moment(ask.before, zone, now),
        )
        found = await self.history.find(query, PAGE + 1)
        page, more = found[:PAGE], len(found) > PAGE
        title = "Plate search" if verb == "search" else "Recent plates"
        if not page:
            await request.say(Reply("No plates read yet that match.", title=title))
            return Outcome.OK
        zones = [directory.zone(r) if (r := directory.get(s.serial)) else zone for s in page]
        rows = [_row(s, z) for s, z in zip(page, zones, strict=True)]
        buttons = [self._clip_button(s, z) for s, z in zip(page, zones, strict=True)]
        if more:
            older = replace(query, before=page[-1].first_at)
            buttons.append(Button("Older", _command(verb, older, camera)))
        text = f"{len(page)} sighting{'s' if len(page) != 1 else ''}, newest first" + (
            "; the Older button shows the next ones." if more else "."
        )
        table = (("Seen", "Camera", "Plate", "Confidence", "Reads"), *rows)
        await request.say(Reply(text, title=title, table=table, buttons=tuple(buttons)))
        return Outcome.OK

    def _clip_button(self, sighting: SightingRow, zone: ZoneInfo) -> Button:
        start = sighting.first_at - self.settings.pre_roll
        settings = self.settings
        span = sighting.last_at - sighting.first_at + settings.pre_roll + settings.post_roll
        seconds = max(round(span.total_seconds()), 1)
        at = sighting.first_at.astimezone(zone)
        return Button(
            f"Clip {sighting.plate} {at:%H:%M:%S}",
            f"clip {sighting.serial} {iso_utc(start, precise=True)} {seconds}s",
        )


def _row(sighting: SightingRow, zone: ZoneInfo) -> tuple[str, ...]:
    confidence = f"{sighting.confidence:.0%}" if sighting.confidence is not None else "–"
    return (
        local_time(sighting.first_at, zone),
        sighting.camera,
        sighting.plate,
        confidence,
        str(sighting.reads),
    )


def _moment(words: list[str], zone: ZoneInfo, now: datetime) -> datetime | None:
    if not words:
        return None
    try:
        start, _ = resolve(parse_when(words), zone, now)
    except Unrecognised:
        raise ParseError(
            f"'{join_words(words)}' is not a time — try `since yesterday 18:00` or `since 2h ago`."
        ) from None
    return start


def _command(verb: str, query: HistoryQuery, camera: CameraRecord | None) -> str:
    """The command that asks for the page below `query.before` (a button runs it)."""
    parts = ["plates", verb]
    if query.pattern is not None:
        parts.append(f'"{query.pattern.text}"')
    if camera is not None:
        parts += ["at", camera.serial]
    if query.since is not None:
        parts += ["since", iso_utc(query.since, precise=True)]
    assert query.before is not None
    parts += ["before", iso_utc(query.before, precise=True)]
    return " ".join(parts)
