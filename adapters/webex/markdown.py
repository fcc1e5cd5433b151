"""A Reply as Webex markdown, cut into messages that fit Webex's 7,439-byte limit at line ends."""

from __future__ import annotations

import re
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
# Markdown's own punctuation, escaped with a backslash. `<`, `>`, `&` and `@` become
# entities instead: Webex reads `<@all>` and `<@personEmail:…>` as mentions before any
# markdown, and an entity leaves no `<@` for it to find.
_PUNCTUATION = re.compile(r"([\\*_~`\[\]|])")
_ENTITIES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "@": "&#64;"})
_LINE_START = re.compile(r"^(\s*)([#+=-]|\d+[.)])")


def escape(text: str) -> str:
    """Outside text as Webex markdown that shows it exactly, with no link, mention or markup."""
    return _shown(defang(text))


def _shown(text: str) -> str:
    # An escaped `]` right before `(` is no link, but no `](` at all is plainer to check.
    return _PUNCTUATION.sub(r"\\\1", text.translate(_ENTITIES)).replace("\\](", "\\]\\(")


def code(text: str) -> str:
    """Text for a code span or block, where markdown escapes do not work: a mention is
    broken by a zero-width space and backticks (which would end the code) become quotes."""
    return unscheme(text).replace("<@", "<\u200b@").replace("`", "'")


_PLAIN_URL = re.compile(r"https?://[A-Za-z0-9./?=&%:~+-]+")


def _draw(span: Span) -> str:
    match span:
        case Plain(text):
            return escape(text)
        case Bold(text):
            # The core's *bold* (one asterisk) is italics in Webex markdown, which wants two.
            return f"**{escape(text)}**"
        case Code(text):
            return f"`{code(text)}`"
        case Anchor(found):
            # Webex links a plain URL itself; written out, it also reads as text in
            # notifications. Only a URL that markdown could cut short gets the long form.
            if _PLAIN_URL.fullmatch(found.url):
                return found.url
            return f"[{_shown(found.url)}]({_target(found.url)})"
        case Named(mention):
            return _mention(mention)
    assert_never(span)


_WEBEX_ID = re.compile(r"[A-Za-z0-9_=-]{1,200}")


def _mention(mention: Mention) -> str:
    """Webex's mention of a person mvbot recorded (spaces have none); else the label."""
    if mention.platform == "webex" and mention.kind == "person" and _WEBEX_ID.fullmatch(mention.id):
        name = escape(mention.label.lstrip("@")).replace(">", "")
        return f"<@personId:{mention.id}|{name}>"
    return escape(mention.label)


def _block_start(text: str) -> str:
    """A line's first text with no heading, list, rule or indented code it could start."""
    return _LINE_START.sub(lambda m: "\\" + m.group(2), text.lstrip(" "))


def inline(text: str, links: tuple[Hyperlink, ...] = (), mentions: tuple[Mention, ...] = ()) -> str:
    """The core's markdown subset in Webex's dialect; everything else shown as written,
    but for the URLs of `links`, which become links, and the people of `mentions`."""
    return lines(text, _draw, start=_block_start, links=links, mentions=mentions)


def _target(url: str) -> str:
    return url.replace(")", "%29").replace(" ", "%20")


def link(found: Hyperlink) -> str:
    """One of mvbot's own links; its label is text like any other."""
    return f"[{escape(found.label)}]({_target(found.url)})"


def _lines(part: Part) -> list[str]:
    """A part's markdown lines; a blank line sets each part off from the heading."""
    match part:
        case Heading(tone, title, text, links, mentions):
            mark, body = _MARKS[tone], inline(text, links, mentions)
            return [f"{mark}**{escape(title)}**", body] if title else [mark + body]
        case Fields(fields):
            return ["", *(f"**{escape(f.label)}:** {inline(f.value)}" for f in fields)]
        case Links(found):
            return ["", *(f"🔗 {link(each)}" for each in found)]
        case Table(rows):
            # Webex markdown has no tables: aligned columns in a code block read best.
            cells = tuple(tuple(code(cell) for cell in row) for row in rows)
            return ["", FENCE, *aligned_table(cells), FENCE]
        case SmallPrint(lines):
            return ["", *(f"> {inline(note)}" for note in lines)] if lines else []
        case File() | Buttons() | LinkButtons():
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
