"""Render a Reply as plain terminal text."""

from __future__ import annotations

import re

from adapters.text import aligned_table
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


def render(reply: Reply) -> str:
    lines: list[str] = []
    if reply.title:
        lines.append(f"{_MARKS[reply.tone]}{_plain(reply.title)}")
        lines.append(_plain(reply.text))
    else:
        lines.append(f"{_MARKS[reply.tone]}{_plain(reply.text)}")
    if reply.fields:
        width = max(len(f.label) for f in reply.fields)
        lines.extend(f"  {f.label.ljust(width)}  {_plain(f.value)}" for f in reply.fields)
    if reply.table:
        lines.extend("  " + line for line in aligned_table(reply.table))
    if reply.attachment:
        lines.append(f"  saved: {reply.attachment.path}")
    lines.extend(f"  {_plain(note)}" for note in reply.context)
    if reply.buttons:
        lines.append("  " + "   ".join(f"[{b.label}: {b.command}]" for b in reply.buttons))
    return "\n".join(line for line in lines if line != "")
