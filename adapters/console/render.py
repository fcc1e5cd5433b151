"""Render a Reply as plain terminal text."""

from __future__ import annotations

import re
from typing import assert_never

from adapters.text import aligned_table
from adapters.walk import Buttons, Fields, File, Heading, Part, SmallPrint, Table, walk
from bot.messages import Reply, Tone

_MARKS = {
    Tone.INFO: "",
    Tone.SUCCESS: "✔ ",
    Tone.PENDING: "… ",
    Tone.PROGRESS: "… ",
    Tone.WARNING: "! ",
    Tone.ERROR: "✘ ",
    Tone.REFUSED: "⛔ ",
}


def _plain(text: str) -> str:
    """Drop the markdown subset's markers: *bold* and `code` read fine without them."""
    return re.sub(r"(?<![\w*])\*(\S(?:.*?\S)?)\*(?![\w*])", r"\1", text)


def _lines(part: Part) -> list[str]:
    match part:
        case Heading(tone, title, text):
            mark = _MARKS[tone]
            return [mark + _plain(title), _plain(text)] if title else [mark + _plain(text)]
        case Fields(fields):
            width = max(len(f.label) for f in fields)
            return [f"  {f.label.ljust(width)}  {_plain(f.value)}" for f in fields]
        case Table(rows):
            return ["  " + line for line in aligned_table(rows)]
        case File(attachment):
            return [f"  saved: {attachment.path}"]
        case SmallPrint(lines):
            return [f"  {_plain(note)}" for note in lines]
        case Buttons(buttons):
            return ["  " + "   ".join(f"[{b.label}: {b.command}]" for b in buttons)]
    assert_never(part)


def render(reply: Reply) -> str:
    lines = [line for part in walk(reply) for line in _lines(part)]
    return "\n".join(line for line in lines if line != "")
