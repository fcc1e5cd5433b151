"""Reply → Block Kit: header, text, fields, table, context and buttons, within Slack's limits."""

from __future__ import annotations

import re
from typing import Any

from adapters.slack.inbound import Asker
from adapters.slack.manifest import ACTION_PREFIX
from adapters.text import aligned_table
from bot.messages import Attachment, Button, Reply, Tone

Block = dict[str, Any]

# Slack's published limits for the blocks used here.
SECTION_TEXT = 3000
HEADER_TEXT = 150
FIELD_TEXT = 2000
FIELDS_PER_SECTION = 10
CONTEXT_ELEMENTS = 10
BUTTON_TEXT = 75
BUTTONS_PER_BLOCK = 25
BUTTON_VALUE = 2000
BLOCKS_PER_MESSAGE = 50
FALLBACK_TEXT = 3000  # notifications show far less; long fallbacks only cost bandwidth

_ICONS = {
    Tone.INFO: "",
    Tone.SUCCESS: ":white_check_mark: ",
    Tone.PENDING: ":hourglass_flowing_sand: ",
    Tone.PROGRESS: ":hourglass_flowing_sand: ",
    Tone.WARNING: ":warning: ",
    Tone.ERROR: ":x: ",
    Tone.REFUSED: ":no_entry: ",
}


def escape(text: str) -> str:
    """Text from the core, made safe for mrkdwn: `&`, `<` and `>` are Slack's markup."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _mrkdwn(text: str) -> dict[str, str]:
    return {"type": "mrkdwn", "text": text}


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text, "emoji": True}


def asker_note(asker: Asker | None) -> str | None:
    """Who asked, for a room that saw only the answer (a slash command, a button press)."""
    if asker is None:
        return None
    if asker.typed:
        return f"<@{asker.user_id}> asked `{escape(asker.typed)}`"
    if asker.pressed:
        return f"<@{asker.user_id}> pressed “{escape(asker.pressed)}”"
    return None


def table_text(rows: tuple[tuple[str, ...], ...]) -> str:
    """A table as aligned monospace lines (Block Kit has no table a bot can rely on)."""
    return "\n".join(aligned_table(rows, rule="─"))


def _code_sections(text: str) -> list[Block]:
    """Preformatted text split on line boundaries into sections that fit."""
    room = SECTION_TEXT - 8
    chunks: list[str] = []
    current = ""
    for line in escape(text).splitlines():
        line = _cut(line, room)
        if current and len(current) + len(line) + 1 > room:
            chunks.append(current)
            current = ""
        current = f"{current}\n{line}" if current else line
    chunks.append(current)
    return [{"type": "section", "text": _mrkdwn(f"```{chunk}```")} for chunk in chunks]


def _text_sections(text: str) -> list[Block]:
    escaped = escape(text)
    pieces = [escaped[i : i + SECTION_TEXT] for i in range(0, len(escaped), SECTION_TEXT)]
    return [{"type": "section", "text": _mrkdwn(piece)} for piece in pieces if piece.strip()]


def button_elements(buttons: tuple[Button, ...]) -> list[dict[str, Any]]:
    elements: list[dict[str, Any]] = []
    for index, button in enumerate(buttons[:BUTTONS_PER_BLOCK]):
        element: dict[str, Any] = {
            "type": "button",
            "action_id": f"{ACTION_PREFIX}{index}",
            "text": _plain(_cut(button.label, BUTTON_TEXT)),
            "value": button.command[:BUTTON_VALUE],
        }
        if button.danger:
            element["style"] = "danger"
            element["confirm"] = {
                "title": _plain("Are you sure?"),
                "text": _plain(_cut(f"{button.label}: {button.command}", 300)),
                "confirm": _plain(_cut(button.label, 30)),
                "deny": _plain("Cancel"),
                "style": "danger",
            }
        elements.append(element)
    return elements


def actions_block(buttons: tuple[Button, ...]) -> Block:
    return {"type": "actions", "elements": button_elements(buttons)}


def blocks(reply: Reply, *, notes: tuple[str, ...] = (), buttons: bool = True) -> list[Block]:
    """The message for `reply`. `notes` are extra mrkdwn context lines, already escaped
    (who asked, a download link); `buttons=False` leaves the buttons for another message."""
    icon = _ICONS[reply.tone]
    out: list[Block] = []
    if reply.title:
        out.append({"type": "header", "text": _plain(_cut(icon + reply.title, HEADER_TEXT))})
        out.extend(_text_sections(reply.text))
    else:
        out.extend(_text_sections(icon + reply.text if reply.text else icon.strip()))
    fields = [
        _mrkdwn(_cut(f"*{escape(f.label)}*\n{escape(f.value)}", FIELD_TEXT)) for f in reply.fields
    ]
    for start in range(0, len(fields), FIELDS_PER_SECTION):
        out.append({"type": "section", "fields": fields[start : start + FIELDS_PER_SECTION]})
    if reply.table:
        out.extend(_code_sections(table_text(reply.table)))
    small = [_mrkdwn(_cut(escape(line), SECTION_TEXT)) for line in reply.context]
    small += [_mrkdwn(_cut(note, SECTION_TEXT)) for note in notes]
    if small:
        out.append({"type": "context", "elements": small[:CONTEXT_ELEMENTS]})
    if buttons and reply.buttons:
        out.append(actions_block(reply.buttons))
    if len(out) > BLOCKS_PER_MESSAGE:
        # Keep the head, the context and the buttons: they matter most to the reader.
        tail = [b for b in out[-2:] if b["type"] in ("context", "actions")]
        out = out[: BLOCKS_PER_MESSAGE - len(tail)] + tail
    return out


def fallback_text(reply: Reply) -> str:
    """The plain summary Slack shows in notifications and where blocks cannot be shown."""
    head = f"{reply.title}: {reply.text}" if reply.title else reply.text
    return _cut(escape(head) or "mvbot", FALLBACK_TEXT)


def comment_text(reply: Reply, *, notes: tuple[str, ...] = ()) -> str:
    """The whole reply as one mrkdwn text: the initial comment of an uploaded file."""
    icon = _ICONS[reply.tone]
    lines: list[str] = []
    if reply.title:
        lines.append(f"{icon}*{escape(reply.title)}*")
        lines.append(escape(reply.text))
    else:
        lines.append(icon + escape(reply.text))
    lines.extend(f"*{escape(f.label)}:* {escape(f.value)}" for f in reply.fields)
    if reply.table:
        lines.append(f"```{escape(table_text(reply.table))}```")
    lines.extend(escape(line) for line in reply.context)
    lines.extend(notes)
    return "\n".join(line for line in lines if line)


def link_note(attachment: Attachment, url: str, reason: str) -> str:
    """The line that replaces an upload: a signed download link and why it is a link."""
    label = re.sub(r"[<>|&]", "_", attachment.filename)
    return f":link: <{url}|Download {label}> ({escape(reason)})"
