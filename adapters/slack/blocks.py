"""Reply → Block Kit: header, text, fields, table, context and buttons, within Slack's limits."""

from __future__ import annotations

import re
from typing import Any, assert_never

from adapters.slack.inbound import Asker
from adapters.slack.manifest import ACTION_PREFIX
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
    link_buttons,
    walk,
)
from bot.messages import Attachment, Button, Hyperlink, Mention, Reply, Tone

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
ALT_TEXT = 2000

_ICONS = {
    Tone.INFO: "",
    Tone.SUCCESS: ":white_check_mark: ",
    Tone.PENDING: ":hourglass_flowing_sand: ",
    Tone.PROGRESS: ":hourglass_flowing_sand: ",
    Tone.WARNING: ":warning: ",
    Tone.ERROR: ":x: ",
    Tone.REFUSED: ":no_entry: ",
}


# mrkdwn has no backslash escape: a zero-width space on each side of a formatting
# character leaves it no word boundary to open or close bold, italics, strike or code at.
_FORMATTING = re.compile(r"([*_~`])")
# Words Slack turns into notifications for everyone when it parses a message's text.
_BROADCAST = re.compile(r"@(?=(?:here|channel|everyone)\b)", re.IGNORECASE)
ZWSP = "\u200b"


def escape(text: str) -> str:
    """Text from the core, made safe for mrkdwn: `&`, `<` and `>` are Slack's markup."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def literal(text: str) -> str:
    """Outside text as mrkdwn that shows it as written: no mention, link or formatting."""
    text = _BROADCAST.sub("@" + ZWSP, escape(defang(text)))
    return _FORMATTING.sub(ZWSP + r"\1" + ZWSP, text)


def _code(text: str) -> str:
    """Text inside code, where mrkdwn formats nothing: a backtick would end it."""
    return _BROADCAST.sub("@" + ZWSP, escape(unscheme(text))).replace("`", "'")


def _draw(span: Span) -> str:
    match span:
        case Plain(text):
            return literal(text)
        case Bold(text):
            return f"*{literal(text)}*"
        case Code(text):
            return f"`{_code(text)}`"
        case Anchor(found):
            return f"<{_target(found.url)}>"
        case Named(mention):
            return _mention(mention)
    assert_never(span)


_SLACK_ID = re.compile(r"[A-Z0-9]{2,40}")


def _mention(mention: Mention) -> str:
    """Slack's own mention of a channel or person mvbot recorded; else the label as text."""
    if mention.platform == "slack" and _SLACK_ID.fullmatch(mention.id):
        if mention.kind == "room" and mention.id[0] in "CG":
            return f"<#{mention.id}>"
        if mention.kind == "person" and mention.id[0] in "UW":
            return f"<@{mention.id}>"
    return literal(mention.label)


def mrkdwn(text: str, links: tuple[Hyperlink, ...] = (), mentions: tuple[Mention, ...] = ()) -> str:
    """The core's subset as mrkdwn (the same *bold* and `code`), everything else literal
    but for the URLs of `links`, which become links, and `mentions`, Slack's mentions."""
    return lines(text, _draw, links=links, mentions=mentions)


def _target(url: str) -> str:
    return escape(url).replace("|", "%7C")


def link(found: Hyperlink) -> str:
    """One of mvbot's own links, the only `<url|label>` a reply carries."""
    # Inside `<…|label>` only the entities, `|` and `>` matter; addresses are defanged.
    label = escape(defang(found.label)).replace("|", "¦")
    return f"<{_target(found.url)}|{label}>"


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
    for line in _code(text).splitlines():
        line = _cut(line, room)
        if current and len(current) + len(line) + 1 > room:
            chunks.append(current)
            current = ""
        current = f"{current}\n{line}" if current else line
    chunks.append(current)
    return [{"type": "section", "text": _mrkdwn(f"```{chunk}```")} for chunk in chunks]


def _text_sections(
    text: str, links: tuple[Hyperlink, ...], icon: str = "", mentions: tuple[Mention, ...] = ()
) -> list[Block]:
    # The icon is mrkdwn already (an emoji code's `_` must stay as it is).
    escaped = (icon + mrkdwn(text, links, mentions)) if text else icon.strip()
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


def link_actions_block(opened: tuple[Hyperlink, ...]) -> Block:
    """Buttons that open a link in the browser. Slack still reports the press; with our
    prefix and no value it is acknowledged and runs nothing (inbound.from_actions)."""
    return {
        "type": "actions",
        "elements": [
            {
                "type": "button",
                "action_id": f"{ACTION_PREFIX}open-{index}",
                "text": _plain(_cut(each.label, BUTTON_TEXT)),
                "url": each.url,
            }
            for index, each in enumerate(opened)
        ],
    }


def follow_up_blocks(reply: Reply) -> list[Block]:
    """The buttons of a reply posted as a file, which its comment cannot carry."""
    out = [actions_block(reply.buttons)] if reply.buttons else []
    if opened := link_buttons(reply):
        out.append(link_actions_block(opened))
    return out


def image_block(file_id: str, alt: str) -> Block:
    """An uploaded image shown inside the message, by its Slack file id."""
    return {"type": "image", "slack_file": {"id": file_id}, "alt_text": _cut(alt, ALT_TEXT)}


def kept_image(out: list[Block], file_id: str | None) -> list[Block]:
    """An edited message's blocks, still showing the picture it was posted with."""
    if file_id is None or any(b["type"] == "image" for b in out):
        return out
    at = next((i for i, b in enumerate(out) if b["type"] in ("context", "actions")), len(out))
    return [*out[:at], image_block(file_id, "snapshot"), *out[at:]]


def _blocks(
    part: Part, notes: tuple[str, ...], with_buttons: bool, image: str | None
) -> list[Block]:
    match part:
        case Heading(tone, title, text, links, mentions):
            icon = _ICONS[tone]
            if title:
                # plain_text shows no markup at all; only the addresses need defanging.
                header = {"type": "header", "text": _plain(_cut(icon + defang(title), HEADER_TEXT))}
                return [header, *_text_sections(text, links, "", mentions)]
            return _text_sections(text, links, icon, mentions)
        case Fields(fields):
            cells = [
                _mrkdwn(_cut(f"*{literal(f.label)}*\n{mrkdwn(f.value)}", FIELD_TEXT))
                for f in fields
            ]
            return [
                {"type": "section", "fields": cells[start : start + FIELDS_PER_SECTION]}
                for start in range(0, len(cells), FIELDS_PER_SECTION)
            ]
        case Links(found):
            return [{"type": "section", "text": _mrkdwn(_links_text(found))}]
        case Table(rows):
            return _code_sections(table_text(rows))
        case File(attachment):
            # Shown by its file id once uploaded; otherwise outbound.py shares it as a
            # file, with comment_text as its comment.
            return [image_block(image, attachment.filename)] if image else []
        case SmallPrint(small_print):
            small = [_mrkdwn(_cut(mrkdwn(line), SECTION_TEXT)) for line in small_print]
            small += [_mrkdwn(_cut(note, SECTION_TEXT)) for note in notes]
            return [{"type": "context", "elements": small[:CONTEXT_ELEMENTS]}] if small else []
        case Buttons(buttons):
            return [actions_block(buttons)] if with_buttons else []
        case LinkButtons(opened):
            return [link_actions_block(opened)] if with_buttons else []
    assert_never(part)


def _links_text(found: tuple[Hyperlink, ...]) -> str:
    return _cut("\n".join(f":link: {link(each)}" for each in found), SECTION_TEXT)


def blocks(
    reply: Reply, *, notes: tuple[str, ...] = (), buttons: bool = True, image: str | None = None
) -> list[Block]:
    """The message for `reply`. `notes` are extra mrkdwn context lines, already escaped
    (who asked, a download link); `buttons=False` leaves the buttons for another message;
    `image` is the Slack file id of the reply's attachment, uploaded to be shown inline."""
    out = [block for part in walk(reply) for block in _blocks(part, notes, buttons, image)]
    if len(out) > BLOCKS_PER_MESSAGE:
        # Keep the head, the context and the buttons: they matter most to the reader.
        tail = [b for b in out[-2:] if b["type"] in ("context", "actions")]
        out = out[: BLOCKS_PER_MESSAGE - len(tail)] + tail
    return out


def fallback_text(reply: Reply) -> str:
    """The plain summary Slack shows in notifications and where blocks cannot be shown."""
    text = mrkdwn(reply.text, reply.links, reply.mentions)
    head = f"{literal(reply.title)}: {text}" if reply.title else text
    return _cut(head or "mvbot", FALLBACK_TEXT)


def _comment_lines(part: Part, notes: tuple[str, ...]) -> list[str]:
    match part:
        case Heading(tone, title, text, links, mentions):
            icon, body = _ICONS[tone], mrkdwn(text, links, mentions)
            return [f"{icon}*{literal(title)}*", body] if title else [icon + body]
        case Fields(fields):
            return [f"*{literal(f.label)}:* {mrkdwn(f.value)}" for f in fields]
        case Links(found):
            return [_links_text(found)]
        case Table(rows):
            return [f"```{_code(table_text(rows))}```"]
        case SmallPrint(small_print):
            return [*(mrkdwn(line) for line in small_print), *notes]
        case File() | Buttons() | LinkButtons():
            # The comment rides on the file; a comment cannot carry buttons (outbound.py).
            return []
    assert_never(part)


def comment_text(reply: Reply, *, notes: tuple[str, ...] = ()) -> str:
    """The whole reply as one mrkdwn text: the initial comment of an uploaded file."""
    lines = [line for part in walk(reply) for line in _comment_lines(part, notes)]
    return "\n".join(line for line in lines if line)


def link_note(attachment: Attachment, url: str, reason: str) -> str:
    """The line that replaces an upload: a signed download link and why it is a link."""
    label = re.sub(r"[<>|&]", "_", attachment.filename)
    return f":link: {link(Hyperlink(f'Download {label}', url))} ({literal(reason)})"
