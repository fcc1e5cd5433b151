"""Render a Reply as plain terminal text."""

from __future__ import annotations

from typing import assert_never

from adapters.spans import Anchor, Bold, Code, Named, Plain, Span, defang, lines, unscheme
from adapters.text import aligned_table
from adapters.walk import (
    Buttons,
    Fields,
    File,
    Heading,
    LinkButtons,
    Links,
    Part,
    SmallPrint,
    Table,
    walk,
)
from bot.messages import Hyperlink, Mention, Reply, Tone

_MARKS = {
    Tone.INFO: "",
    Tone.SUCCESS: "✔ ",
    Tone.PENDING: "… ",
    Tone.PROGRESS: "… ",
    Tone.WARNING: "! ",
    Tone.ERROR: "✘ ",
    Tone.REFUSED: "⛔ ",
}


def _draw(span: Span) -> str:
    """Bold reads fine without its markers; code keeps its backticks to show what to type.
    A terminal has no markup, but it runs control sequences and may link addresses."""
    match span:
        case Plain(text) | Bold(text):
            return defang(text)
        case Code(text):
            return f"`{unscheme(text)}`"
        case Anchor(found):
            return found.url
        case Named(mention):
            return defang(mention.label)
    assert_never(span)


def _plain(text: str, links: tuple[Hyperlink, ...] = (), mentions: tuple[Mention, ...] = ()) -> str:
    return lines(text, _draw, links=links, mentions=mentions)


def _lines(part: Part) -> list[str]:
    match part:
        case Heading(tone, title, text, links, mentions):
            mark, body = _MARKS[tone], _plain(text, links, mentions)
            return [mark + defang(title), body] if title else [mark + body]
        case Fields(fields):
            width = max(len(f.label) for f in fields)
            return [f"  {_plain(f.label).ljust(width)}  {_plain(f.value)}" for f in fields]
        case Links(found):
            # The operator's own terminal: mvbot's URL in full, to open or copy.
            return [f"  {_plain(each.label)}: {each.url}" for each in found]
        case Table(rows):
            cells = tuple(tuple(unscheme(cell) for cell in row) for row in rows)
            return ["  " + line for line in aligned_table(cells)]
        case File(attachment):
            return [f"  saved: {attachment.path}"]
        case SmallPrint(lines):
            return [f"  {_plain(note)}" for note in lines]
        case Buttons(buttons):
            return [
                "  " + "   ".join(f"[{unscheme(b.label)}: {unscheme(b.command)}]" for b in buttons)
            ]
        case LinkButtons(opened):
            # The operator's own terminal: the link in full, to open or copy.
            return [f"  [{_plain(each.label)}] {each.url}" for each in opened]
    assert_never(part)


def render(reply: Reply) -> str:
    lines = [line for part in walk(reply) for line in _lines(part)]
    return "\n".join(line for line in lines if line != "")
