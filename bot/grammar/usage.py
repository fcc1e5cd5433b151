"""Usage of commands: their help text, the help listing, and "did you mean" for unknown names."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.grammar.tokens import ParseError, echo, is_quoted, join_words


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


def drop_commas(tokens: Sequence[str]) -> list[str]:
    """The words without the commas people put between them (a quoted "," is kept)."""
    return [t for t in tokens if t != "," or is_quoted(t)]


def looks_like_time(word: str) -> bool:
    return not is_quoted(word) and (
        word.lower() in _TIME_HINTS or _TIME_LOOKING.fullmatch(word.lower()) is not None
    )


def camera_guess(words: Sequence[str]) -> str:
    """The words that were probably meant as the camera, for an example in a message."""
    cut = next((i for i, w in enumerate(words) if i and looks_like_time(w)), len(words))
    name = join_words(words[: max(cut, 1)]) or "lobby"
    return f'"{name}"' if any(is_quoted(w) for w in words[:cut]) and " " in name else name


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
