"""`verify <sha256>` (or a file) and `footage log`: was this file mvbot's, and who pulled what."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.access import Role
from bot.commands.common import find_camera, spoken_zone
from bot.errors import UserError
from bot.footage import DeliveredFile, TooLarge, hash_chunks, hash_file, read_checksum
from bot.footage.delivered_log import LOG_LIMIT
from bot.grammar.formatting import local_span, local_time, size
from bot.grammar.tokens import ParseError, echo, join_words
from bot.grammar.usage import CommandHelp, drop_commas
from bot.grammar.when import TIME_FORMS_HELP, Range, parse_when, resolve
from bot.messages import Mention, Reply, SharedFile, Tone, literal
from bot.outbox import FileUnreadable, NoAdapter
from bot.router import Command
from bot.store import Outcome

if TYPE_CHECKING:
    from bot.router import Request

# The console runs on mvbot's own machine: only there may a person name a local file.
LOCAL_FILES_PLATFORM = "console"
MATCHES_SHOWN = 5
UTC_ZONE = ZoneInfo("UTC")

VERIFY_HELP = CommandHelp(
    name="verify",
    usage="verify <sha256>",
    summary="Check a file against everything mvbot delivered, by its SHA-256 checksum.",
    examples=(
        "verify 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        "verify /path/to/clip.mp4",
    ),
    details=(
        "The checksum is the 64 hex digits `shasum -a 256 <file>` prints. Or upload the "
        "file with the word verify (Slack, Webex); in the console, give a file's path."
    ),
)

FOOTAGE_HELP = CommandHelp(
    name="footage",
    usage="footage log [<camera>] [since <when>]",
    summary="Who pulled which clip, snapshot, export or incident, where and when (admins).",
    examples=("footage log", "footage log lobby", "footage log lobby since yesterday 9am"),
    details=f"Newest first, the last 50 at most. {TIME_FORMS_HELP}",
)


# verify ---------------------------------------------------------------------------------


async def run_verify(request: Request, tokens: list[str]) -> Outcome:
    words = drop_commas(tokens)
    posted = request.message.files
    if posted and not words:
        for shared in posted[:MATCHES_SHOWN]:
            await _answer(request, await _posted_checksum(request, shared), shared.name)
        return Outcome.OK
    if len(words) != 1:
        raise ParseError(
            "Give one SHA-256 checksum (64 hex digits) — try `verify <sha256>`."
            if words
            else "Which file? Try `verify <sha256>` with the file's SHA-256 checksum."
        )
    checksum = read_checksum(words[0]) or await _local_checksum(request, words[0])
    await _answer(request, checksum)
    return Outcome.OK


async def _answer(request: Request, checksum: str, name: str | None = None) -> None:
    found = await request.services.footage.matching(checksum)
    if not found:
        text = f"No file that mvbot delivered has this checksum (`{checksum}`)."
        if name:
            text = f"No file that mvbot delivered is identical to `{_name(name)}` (`{checksum}`)."
        await request.say(
            Reply(
                text,
                tone=Tone.WARNING,
                context=("A copy that was changed in any way has a different checksum.",),
            )
        )
        return
    first, *later = found
    head = f"`{_name(name)}` is identical" if name else "Identical"
    told, mentions = _delivery(first)
    lines = [f"{head} to {_what(first)} {told}."]
    for other in later[: MATCHES_SHOWN - 1]:
        told, named = _delivery(other)
        lines.append(f"- also {told}")
        mentions += named
    if len(later) >= MATCHES_SHOWN:
        lines.append(f"- and {len(later) - MATCHES_SHOWN + 1} more deliveries")
    await request.say(
        Reply(
            "\n".join(lines),
            tone=Tone.SUCCESS,
            title="Verified",
            context=(f"SHA-256 {checksum}",),
            mentions=mentions,
        )
    )


def _name(name: str | None) -> str:
    """A file name someone chose, inside a code span: no backtick, one line, short."""
    return " ".join((name or "").replace("`", "'").split())[:100]


async def _posted_checksum(request: Request, shared: SharedFile) -> str:
    """The SHA-256 of a file posted with the command, streamed from its platform."""
    services, platform = request.services, request.message.place.platform
    limit = services.clips.verify_max_size
    if shared.size is not None and shared.size > limit:
        raise TooLarge(f"`{_name(shared.name)}` is over the {size(limit)} that verify checks.")
    try:
        return await hash_chunks(services.outbox.read_file(platform, shared.ref), limit)
    except NoAdapter:
        raise UserError("I cannot read files posted here — give its SHA-256 instead.") from None
    except FileUnreadable as error:
        raise UserError(str(error)) from None


async def _local_checksum(request: Request, word: str) -> str:
    if request.message.place.platform != LOCAL_FILES_PLATFORM:
        raise UserError(
            f"'{echo(word)}' is not a SHA-256 checksum (64 hex digits) — try `verify <sha256>`, "
            "or upload the file with the word verify."
        )
    return await hash_file(Path(word), request.services.clips.verify_max_size)


def _zone(file: DeliveredFile) -> ZoneInfo:
    try:
        return ZoneInfo(file.zone)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC_ZONE


def _what(file: DeliveredFile) -> str:
    zone = _zone(file)
    when = (
        local_time(file.start, zone)
        if file.start == file.end
        else local_span(file.start, file.end, zone)
    )
    return f"the {file.kind} of *{literal(file.camera)}* {when}"


def _delivery(file: DeliveredFile) -> tuple[str, tuple[Mention, ...]]:
    """'delivered in #security on Tue 24 Nov 14:35:01 EST to @alice' (the camera's zone),
    with the room and the asker as mentions their platform draws (mvbot's own records)."""
    assert file.delivered_at is not None
    place, asker = file.place, file.asker
    room = Mention(f"#{place.room_id}", place.platform, "room", place.room_id)
    person = Mention(f"@{asker.name or asker.id}", asker.platform, "person", asker.id)
    thread = " (in a thread)" if place.thread_id else ""
    on = local_time(file.delivered_at, _zone(file))
    text = f"delivered in {literal(room.label)}{thread} on {on} to {literal(person.label)}"
    return text, (room, person)


# footage log ----------------------------------------------------------------------------


@dataclass(frozen=True)
class FootageArgs:
    camera: str | None
    since: list[str]


def parse_footage(tokens: Sequence[str]) -> FootageArgs:
    words = drop_commas(tokens)
    if not words or words[0].lower() != "log":
        raise ParseError("Try `footage log`, `footage log lobby` or `footage log since yesterday`.")
    rest = words[1:]
    lowered = [w.lower() for w in rest]
    if "since" in lowered:
        cut = len(lowered) - 1 - lowered[::-1].index("since")
        camera, since = rest[:cut], rest[cut + 1 :]
        if not since:
            raise ParseError("Since when? Try `footage log since yesterday 9am`.")
    else:
        camera, since = rest, []
    name = join_words(camera).strip()
    return FootageArgs(name or None, list(since))


async def run_footage(request: Request, tokens: list[str]) -> Outcome:
    services = request.services
    args = parse_footage(tokens)
    serial = None
    zone = UTC_ZONE
    if args.camera is not None:
        record, directory = await find_camera(request, args.camera)
        serial, zone = record.serial, spoken_zone(request, record, directory)
    since: datetime | None = None
    if args.since:
        when = parse_when(args.since)
        if isinstance(when, Range):
            raise ParseError("Give one moment after `since`, e.g. `since yesterday 9am`.")
        since = resolve(when, zone, services.clock())[0]
    rows = await services.footage.recent(serial=serial, since=since)
    scope = f" of {literal(args.camera)}" if args.camera else ""
    if not rows:
        await request.say(Reply(f"mvbot delivered no footage{scope} in that time.", tone=Tone.INFO))
        return Outcome.OK
    table: list[tuple[str, ...]] = [
        ("Delivered", "What", "Camera", "Span", "Room", "To", "SHA-256")
    ]
    for row in rows:
        assert row.delivered_at is not None
        here = _zone(row)
        span = (
            local_time(row.start, here)
            if row.start == row.end
            else local_span(row.start, row.end, here)
        )
        table.append(
            (
                local_time(row.delivered_at, here),
                f"{row.kind} ({size(row.size_bytes)})",
                row.camera,
                span,
                row.place.room_id,
                row.asker.name or row.asker.id,
                row.sha256[:16] + "…",
            )
        )
    count = f"{len(rows)} deliver{'y' if len(rows) == 1 else 'ies'}"
    if len(rows) == LOG_LIMIT:
        count = f"the latest {LOG_LIMIT} deliveries (name a camera or `since …` to narrow it)"
    await request.say(
        Reply(
            f"Footage log{scope}: {count}, newest first.", title="Footage log", table=tuple(table)
        )
    )
    return Outcome.OK


def commands() -> list[Command]:
    return [
        Command(help=VERIFY_HELP, role=Role.VIEWER, handler=run_verify),
        Command(help=FOOTAGE_HELP, role=Role.ADMIN, handler=run_footage),
    ]
