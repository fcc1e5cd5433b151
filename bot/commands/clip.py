"""`clip <camera> <when> [<length>] [ts]`: fetch, join and post a clip, now or once it is ready."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.access import Role
from bot.cameras.directory import CameraRecord
from bot.clips.deferred import PendingClips
from bot.clips.delivered import clip_file, command_key
from bot.clips.delivered import record as record_delivery
from bot.clips.parts import ClipSpec, Progress, fetch_clip, plan_parts, whole_millisecond
from bot.clips.replies import clip_reply
from bot.clips.retries import READY_MARGIN, TOO_RECENT_RETRY
from bot.clips.several import CameraClip, check_span, deliver_several
from bot.commands.common import find_camera, find_cameras, spoken_zone
from bot.errors import UserError
from bot.footage import FileKind
from bot.grammar.cameras import CAMERA_LIST_HELP, CameraList, split_cameras, take_imager
from bot.grammar.formatting import local_time, short_span
from bot.grammar.lengths import LENGTH_FORMS_HELP, parse_length
from bot.grammar.tokens import (
    ParseError,
    Token,
    Unrecognised,
    echo,
    is_quoted,
    join_words,
    split_subject,
)
from bot.grammar.usage import CAMERA_FORMS_HELP, CommandHelp, camera_guess, drop_commas
from bot.grammar.when import TIME_FORMS_HELP, Range, WhenSpec, parse_when, resolve
from bot.media import Container
from bot.meraki import MerakiError, Priority, TooRecent
from bot.meraki.explain import explain
from bot.messages import Reply, Tone
from bot.router import Command
from bot.store import Outcome
from bot.telemetry.latency import clip_delivered

if TYPE_CHECKING:
    from bot.router import Request

# grammar --------------------------------------------------------------------------------

DEFAULT_CLIP_LENGTH = timedelta(seconds=30)
_KEEP_TS_FLAGS = frozenset({"ts", "mpegts", "mpeg-ts", "--ts", "keep-ts"})

CLIP_HELP = CommandHelp(
    name="clip",
    usage="clip <camera> <when> [<length>] [ts]",
    summary="Post a video clip from a camera, or from several (`lobby, warehouse`, `@HQ`).",
    examples=(
        "clip lobby 14:30 2m",
        "clip garage entrance 10m ago",
        'clip "Garage Entrance" yesterday 9am 1m30s',
        "clip lobby 14:30-14:45",
        "clip lobby 14:30 2m ts",
        "clip lobby, warehouse 14:30 2m",
        "clip lobby and garage entrance 10m ago 1m",
        "clip @HQ 14:30 1m",
        "clip parking lot imager 3 14:30 1m",
    ),
    details="\n".join(
        (
            CAMERA_FORMS_HELP,
            CAMERA_LIST_HELP
            + " Each camera's clip comes in one thread under a summary of them all.",
            "A camera with several imagers (MV93) takes `imager <n>`; without it, imager 1.",
            TIME_FORMS_HELP,
            LENGTH_FORMS_HELP + " The default is 30s; a range needs no length.",
            "Add `ts` at the end to get the original MPEG-TS (.ts) instead of MP4.",
        )
    ),
)


@dataclass(frozen=True)
class ClipArgs:
    """A clip request; `length` is None exactly when `when` is a Range."""

    camera: str
    when: WhenSpec
    length: timedelta | None
    keep_ts: bool = False
    imager: int | None = None
    # Set only when the ask names several cameras or a group (`lobby, warehouse`, `@HQ`);
    # `camera` is then the whole phrase, as a single-camera ask would read it.
    cameras: CameraList | None = None


def parse_clip(tokens: Sequence[str]) -> ClipArgs:
    listed, imager = take_imager(tokens)
    while listed and listed[-1] == "," and not is_quoted(listed[-1]):
        listed.pop()
    keep_ts = False
    while (
        len(drop_commas(listed)) > 1
        and not is_quoted(listed[-1])
        and listed[-1].lower() in _KEEP_TS_FLAGS
    ):
        keep_ts, listed = True, listed[:-1]
        while listed and listed[-1] == "," and not is_quoted(listed[-1]):
            listed.pop()
    words = drop_commas(listed)
    if not words:
        raise ParseError("Which camera, and when? Try `clip lobby 14:30 2m`.")
    split = split_subject(_listable(listed), _clip_tail)
    if split is None:
        example = f"clip {camera_guess(words)} 14:30 2m"
        if len(words) == 1:
            raise ParseError(f"When? Try `{example}` or `clip {camera_guess(words)} now`.")
        raise ParseError(f"I couldn't read a time in 'clip {echo(tokens)}' — try `{example}`.")
    camera_words, (when, length) = split
    camera = join_words(camera_words).strip()
    if not camera:
        raise ParseError("Which camera? Try `clip lobby 14:30 2m`.")
    if length is None and not isinstance(when, Range):
        length = DEFAULT_CLIP_LENGTH
    cameras = split_cameras(_subject_tokens(listed, len(camera_words)))
    if not cameras.several:
        return ClipArgs(camera, when, length, keep_ts, imager)
    if imager is not None:
        raise ParseError("An imager goes with one camera — try `clip parking lot imager 2 14:30`.")
    return ClipArgs(camera, when, length, keep_ts, cameras=cameras)


def _listable(tokens: Sequence[str]) -> list[str]:
    """The words to split, where a quoted name followed by a comma does not end the subject
    (`"Lobby", "Garage Entrance" 14:30` lists two cameras); the shortest subject still wins."""
    words: list[str] = []
    for index, piece in enumerate(tokens):
        if piece == "," and not is_quoted(piece):
            continue
        listed = index + 1 < len(tokens) and tokens[index + 1] == ","
        words.append(Token(piece) if is_quoted(piece) and listed else piece)
    return words


def _subject_tokens(tokens: Sequence[str], words: int) -> list[str]:
    """The leading tokens holding the first `words` words, with the commas between them."""
    seen = 0
    for index, piece in enumerate(tokens):
        if piece != "," or is_quoted(piece):
            seen += 1
            if seen == words:
                return list(tokens[: index + 1])
    return list(tokens)


def _clip_tail(words: Sequence[str]) -> tuple[WhenSpec, timedelta | None]:
    """Read `<when> [for] [<length>]`, preferring the longest time expression."""
    specific: ParseError | None = None
    for cut in range(len(words), 0, -1):
        rest = list(words[cut:])
        if rest and not is_quoted(rest[0]) and rest[0].lower() == "for":
            rest = rest[1:]
        try:
            when = parse_when(words[:cut])
            if cut == len(words):
                return when, None
            length = parse_length(rest)
        except Unrecognised:
            continue
        except ParseError as error:
            specific = specific or error
            continue
        if isinstance(when, Range):
            specific = specific or ParseError(
                "A range already says how long — drop the length, e.g. `clip lobby 14:30-14:45`."
            )
            continue
        return when, length
    raise specific or Unrecognised("That is not a time and length — try `14:30 2m`.")


def clip_span(args: ClipArgs, tz: tzinfo, now: datetime) -> tuple[datetime, datetime]:
    """The clip's aware UTC start and end: a range's ends, or the start plus the length."""
    start, end = resolve(args.when, tz, now)
    if end is None:
        end = start + (args.length or DEFAULT_CLIP_LENGTH)
    return whole_millisecond(start), whole_millisecond(end)


# handler --------------------------------------------------------------------------------


def command(pending: PendingClips) -> Command:
    async def handle(request: Request, tokens: list[str]) -> Outcome:
        return await run_clip(request, tokens, pending)

    return Command(
        help=CLIP_HELP,
        role=Role.VIEWER,
        handler=handle,
        preview=preview_clip,
        aliases=("video",),
    )


@dataclass(frozen=True)
class AskedClip:
    """A clip request read and resolved: the camera, the zone its times are read in, the span."""

    record: CameraRecord
    zone: ZoneInfo
    spec: ClipSpec

    @property
    def span(self) -> str:
        return short_span(self.spec.start, self.spec.end, self.zone)


async def read_clip(request: Request, args: ClipArgs) -> AskedClip:
    record, directory = await find_camera(request, args.camera)
    zone = spoken_zone(request, record, directory)
    start, end = clip_span(args, zone, request.services.clock())
    container: Container = "ts" if args.keep_ts else "mp4"
    spec = ClipSpec(record.serial, record.name, start, end, args.imager, container)
    return AskedClip(record, zone, spec)


async def preview_clip(request: Request, tokens: list[str]) -> str:
    args = parse_clip(tokens)
    if args.cameras is not None:
        return f"Fetching clips of {echo(', '.join(map(str, args.cameras.names)))}…"
    asked = await read_clip(request, args)
    return f"Fetching *{asked.record.name}*{_imager(asked.spec)} {asked.span}…"


async def run_clip(request: Request, tokens: list[str], pending: PendingClips) -> Outcome:
    services = request.services
    args = parse_clip(tokens)
    if args.cameras is not None:
        return await _run_several(request, args, pending)
    asked = await read_clip(request, args)
    record, zone, spec = asked.record, asked.zone, asked.spec
    now = services.clock()
    check_span(services, spec.start, spec.end, zone, record.name)
    ready_at = spec.end + services.clips.availability_lag + READY_MARGIN
    if ready_at > now:
        if record.status == "offline":
            raise UserError(
                f"{record.name} is offline right now, so there is no footage for {asked.span}."
            )
        when = f"at about {local_time(ready_at, zone, date=False)}"
        return await _later(request, pending, asked, ready_at, f"will be ready {when}")
    # Asked for alongside the clip, at a lower priority: it never holds the clip up.
    dashboard = await services.dashboard.soon(spec.serial, spec.start, request.message.place)
    try:
        info = await fetch_clip(
            services.meraki,
            spec,
            services.files,
            priority=Priority.INTERACTIVE,
            progress=await _progress(request, asked),
        )
    except TooRecent:
        # The cloud is further behind than we assumed: wait for it rather than fail.
        retry_at = services.clock() + TOO_RECENT_RETRY
        return await _later(
            request, pending, asked, retry_at, "has not reached the Meraki cloud yet"
        )
    except MerakiError as error:
        raise UserError(explain(error, record.name, local_time(spec.start, zone))) from None
    message = request.message
    reply = clip_reply(
        spec, info, zone, record.label, message.person.time_zone, await dashboard.result()
    )
    sent = await request.say(reply)
    clip_delivered(services.metrics, "direct", request.asked_at, services.clock())
    key = command_key(FileKind.CLIP, message, spec.serial)
    await record_delivery(services, key, clip_file(spec, info, zone, sent.place, message.person))
    return Outcome.OK


async def _run_several(request: Request, args: ClipArgs, pending: PendingClips) -> Outcome:
    """`clip lobby, warehouse 14:30 2m`: one span, read in one zone, for every camera named."""
    assert args.cameras is not None
    services = request.services
    selection, directory = await find_cameras(request, args.cameras)
    first = selection.cameras[0]
    zone = spoken_zone(request, first, directory)
    start, end = clip_span(args, zone, services.clock())
    check_span(services, start, end, zone, first.name)
    container: Container = "ts" if args.keep_ts else "mp4"
    clips = [
        CameraClip(r, directory.zone(r), ClipSpec(r.serial, r.name, start, end, None, container))
        for r in selection.cameras
    ]
    return await deliver_several(request, pending, clips, selection.problems)


def _imager(spec: ClipSpec) -> str:
    return f" imager {spec.imager}" if spec.imager else ""


async def _later(
    request: Request, pending: PendingClips, asked: AskedClip, due: datetime, state: str
) -> Outcome:
    """Store the clip for later (before saying so) and tell the asker when to expect it."""
    message = request.message
    await pending.defer(asked.spec, message.place, message.person, due, job_id=request.job_key())
    text = f"*{asked.record.name}*{_imager(asked.spec)} {asked.span} {state} — I'll post it here."
    await request.say(Reply(text, tone=Tone.PENDING))
    return Outcome.PENDING


async def _progress(request: Request, asked: AskedClip) -> Progress | None:
    """For a clip of several parts, one message edited as they arrive ("fetching 2/6")."""
    parts = len(plan_parts(asked.spec.start, asked.spec.end))
    if parts == 1:
        return None
    name = asked.record.name + _imager(asked.spec)
    sent = await request.say(
        Reply(f"Fetching *{name}* {asked.span} ({parts} parts)…", tone=Tone.PROGRESS)
    )

    async def progress(done: int, total: int) -> None:
        text = f"Fetching *{name}* {asked.span}: {done}/{total}"
        await request.update(sent, Reply(text, tone=Tone.PROGRESS))

    return progress
