"""A Reply as Webex markdown, cut into messages that fit Webex's 7,439-byte limit at line ends."""

from __future__ import annotations

import re
from typing import assert_never

from adapters.text import aligned_table
from adapters.walk import Buttons, Fields, File, Heading, Part, SmallPrint, Table, walk
from bot.messages import Reply, Tone

MARKDOWN_LIMIT = 7439  # bytes of `markdown` in one Webex message
FENCE = "```"

_MARKS = {
    Tone.INFO: "",
    Tone.SUCCESS: "✅ ",
    Tone.PENDING: "⏳ ",
    Tone.PROGRESS: "⏳ ",
    Tone.WARNING: "⚠️ ",
    Tone.ERROR: "❌ ",
    Tone.REFUSED: "⛔ ",
}
# The core's *bold* (one asterisk) is italics in Webex markdown, which wants two.
_BOLD = re.compile(r"(?<![\w*])\*(\S(?:.*?\S)?)\*(?![\w*])")
_CODE = re.compile(r"(`[^`]*`)")


def inline(text: str) -> str:
    """The core's markdown subset in Webex's dialect; `code` spans are left as they are."""
    parts = _CODE.split(text)
    return "".join(p if p.startswith("`") else _BOLD.sub(r"**\1**", p) for p in parts)


def _lines(part: Part) -> list[str]:
    """A part's markdown lines; a blank line sets each part off from the heading."""
    match part:
        case Heading(tone, title, text):
            mark = _MARKS[tone]
            return [f"{mark}**{inline(title)}**", inline(text)] if title else [mark + inline(text)]
        case Fields(fields):
            return ["", *(f"**{f.label}:** {inline(f.value)}" for f in fields)]
        case Table(rows):
            # Webex markdown has no tables: aligned columns in a code block read best.
            return ["", FENCE, *aligned_table(rows), FENCE]
        case SmallPrint(lines):
            return ["", *(f"> {inline(note)}" for note in lines)] if lines else []
        case File() | Buttons():
            # outbound.py uploads the file (or links it) and posts the buttons as a card.
            return []
    assert_never(part)


def render_markdown(reply: Reply) -> str:
    """Title (with the tone's mark), text, fields, table and small print, in the walk's order."""
    lines = [line for part in walk(reply) for line in _lines(part)]
    return "\n".join(lines).strip("\n")


def _size(text: str) -> int:
    return len(text.encode())


def _pieces(line: str, room: int) -> list[str]:
    """A line too long for any message, cut at spaces if it can be (else between characters)."""
    pieces: list[str] = []
    while _size(line) > room:
        cut = len(line.encode()[:room].decode(errors="ignore"))
        space = line.rfind(" ", 0, cut)
        cut = space + 1 if space > 0 else cut
        pieces.append(line[:cut].rstrip(" "))
        line = line[cut:]
    return [*pieces, line]


def split_markdown(text: str, limit: int = MARKDOWN_LIMIT) -> list[str]:
    """Messages of at most `limit` bytes each, cut only between lines.

    A code block cut in two is closed at the end of one message and reopened at the start
    of the next, so each message renders on its own. Only a single line longer than a
    whole message is broken, at its last space that fits.
    """
    closing = _size("\n" + FENCE)
    chunks: list[str] = []
    current: list[str] = []
    fence: str | None = None  # the opening line of the code block we are inside

    def length(lines: list[str]) -> int:
        return _size("\n".join(lines))

    for whole in text.split("\n"):
        reserve = closing if fence is not None else 0
        for line in _pieces(whole, limit - _size(FENCE + "\n") - closing):
            if current and length([*current, line]) + reserve > limit:
                chunks.append("\n".join(current) + ("\n" + FENCE if fence is not None else ""))
                current = [fence] if fence is not None else []
            current.append(line)
        if whole.lstrip().startswith(FENCE):
            fence = None if fence is not None else whole.strip()
    chunks.append("\n".join(current))
    # A run of blank lines alone is no message (Webex refuses empty markdown).
    return [chunk for chunk in chunks if chunk.strip()] or [""]
