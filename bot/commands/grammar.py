"""Grammar of help, cameras, clip and snapshot: each command's parse function, usage and help.

Parse functions are pure: tokens in, a typed value or a ParseError out.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from bot.commands.lengths import LENGTH_FORMS_HELP, parse_length
from bot.commands.tokens import (
    ParseError,
    Unrecognised,
    echo,
    is_quoted,
    join_words,
    split_subject,
)
from bot.commands.when import TIME_FORMS_HELP, Now, Range, WhenSpec, parse_when, resolve

__all__ = [
    "CAMERAS_HELP",
    "CAMERA_FORMS_HELP",
    "CLIP_HELP",
    "DEFAULT_CLIP_LENGTH",
    "HELP_HELP",
    "SNAPSHOT_HELP",
    "CamerasArgs",
    "ClipArgs",
    "CommandHelp",
    "HelpArgs",
    "ParseError",
    "SnapshotArgs",
    "clip_span",
    "parse_cameras",
    "parse_clip",
    "parse_help",
    "parse_snapshot",
    "render_help",
    "unknown_command",
]


@dataclass(frozen=True)
class CommandHelp:
    name: str
    usage: str
    summary: str
    examples: tuple[str, ...]
    details: str = ""


CAMERA_FORMS_HELP = (
    'Cameras: a name (`lobby`, `garage entrance`, `"Garage Entrance"`), an alias or a '
    "serial; part of a name works when it matches only one camera."
)
_TIME_HINTS = frozenset({"ago", "now", "today", "yesterday", "tomorrow", "at", "from", "for"})
_TIME_LOOKING = re.compile(r".*\d:\d\d.*|\d{1,2}(am|pm)|\d{4}-\d{1,2}-\d{1,2}.*", re.ASCII)


def _drop_commas(tokens: Sequence[str]) -> list[str]:
    return [t for t in tokens if t != "," or is_quoted(t)]


def _looks_like_time(word: str) -> bool:
    return not is_quoted(word) and (
        word.lower() in _TIME_HINTS or _TIME_LOOKING.fullmatch(word.lower()) is not None
    )


def _camera_guess(words: Sequence[str]) -> str:
    """The words that were probably meant as the camera, for an example in a message."""
    cut = next((i for i, w in enumerate(words) if i and _looks_like_time(w)), len(words))
    name = join_words(words[: max(cut, 1)]) or "lobby"
    return f'"{name}"' if any(is_quoted(w) for w in words[:cut]) and " " in name else name


# help ----------------------------------------------------------------------------------

HELP_HELP = CommandHelp(
    name="help",
    usage="help [command]",
    summary="List the commands, or explain one.",
    examples=("help", "help clip"),
)


@dataclass(frozen=True)
class HelpArgs:
    topic: str | None


def parse_help(tokens: Sequence[str]) -> HelpArgs:
    words = _drop_commas(tokens)
    topic = words[0].casefold().strip("/?:!.") if words else ""
    return HelpArgs(topic or None)


def render_help(topic: str | None, commands: Sequence[CommandHelp]) -> str:
    """The text of `help` (every command) or `help <topic>` (one command in detail)."""
    if topic is None:
        lines = [f"`{c.usage}` — {c.summary}" for c in commands]
        return "\n".join(["Commands:", *lines, "Say `help <command>` for details."])
    found = next((c for c in commands if c.name == topic), None)
    if found is None:
        raise unknown_command(topic, [c.name for c in commands])
    lines = [f"`{found.usage}` — {found.summary}"]
    if found.details:
        lines.append(found.details)
    lines.append("Examples:")
    lines.extend(f"• `{example}`" for example in found.examples)
    return "\n".join(lines)


def unknown_command(name: str, known: Iterable[str]) -> ParseError:
    """The error for a command name nobody registered, with the nearest known name."""
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    if close:
        return ParseError(
            f"I don't know '{echo(name)}' — did you mean `{close[0]}`? Say `help` for the commands."
        )
    return ParseError(f"I don't know '{echo(name)}' — say `help` for the commands.")


# cameras -------------------------------------------------------------------------------

CAMERAS_HELP = CommandHelp(
    name="cameras",
    usage="cameras [filter]",
    summary="List the cameras, or those whose name, model, network, tag or status matches.",
    examples=("cameras", "cameras garage", "cameras offline", "cameras mv63"),
    details="Every word of the filter must match; `cameras all` lists everything.",
)


@dataclass(frozen=True)
class CamerasArgs:
    filter: str | None


def parse_cameras(tokens: Sequence[str]) -> CamerasArgs:
    text = join_words(_drop_commas(tokens)).strip()
    return CamerasArgs(None if text.casefold() in ("", "all") else text)


# clip ----------------------------------------------------------------------------------

DEFAULT_CLIP_LENGTH = timedelta(seconds=30)
_KEEP_TS_FLAGS = frozenset({"ts", "mpegts", "mpeg-ts", "--ts", "keep-ts"})

CLIP_HELP = CommandHelp(
    name="clip",
    usage="clip <camera> <when> [<length>] [ts]",
    summary="Post a video clip from a camera.",
    examples=(
        "clip lobby 14:30 2m",
        "clip garage entrance 10m ago",
        'clip "Garage Entrance" yesterday 9am 1m30s',
        "clip lobby 14:30-14:45",
        "clip lobby 14:30 2m ts",
    ),
    details="\n".join(
        (
            CAMERA_FORMS_HELP,
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


def parse_clip(tokens: Sequence[str]) -> ClipArgs:
    words = _drop_commas(tokens)
    keep_ts = False
    while len(words) > 1 and not is_quoted(words[-1]) and words[-1].lower() in _KEEP_TS_FLAGS:
        keep_ts, words = True, words[:-1]
    if not words:
        raise ParseError("Which camera, and when? Try `clip lobby 14:30 2m`.")
    split = split_subject(words, _clip_tail)
    if split is None:
        example = f"clip {_camera_guess(words)} 14:30 2m"
        if len(words) == 1:
            raise ParseError(f"When? Try `{example}` or `clip {_camera_guess(words)} now`.")
        raise ParseError(f"I couldn't read a time in 'clip {echo(tokens)}' — try `{example}`.")
    camera_words, (when, length) = split
    camera = join_words(camera_words).strip()
    if not camera:
        raise ParseError("Which camera? Try `clip lobby 14:30 2m`.")
    if length is None and not isinstance(when, Range):
        length = DEFAULT_CLIP_LENGTH
    return ClipArgs(camera, when, length, keep_ts)


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
    return start, end


# snapshot ------------------------------------------------------------------------------

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
    words = _drop_commas(tokens)
    if not words:
        raise ParseError("Which camera? Try `snapshot lobby` or `snapshot lobby 14:30`.")
    split = split_subject(words, _snapshot_tail)
    if split is not None:
        camera_words, when = split
    elif any(_looks_like_time(w) for w in words[1:]) or any(is_quoted(w) for w in words[:-1]):
        raise ParseError(
            f"I couldn't read a time in 'snapshot {echo(tokens)}' — "
            f"try `snapshot {_camera_guess(words)} 14:30`."
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
