"""The core's markup subset read as typed spans, and outside addresses made unclickable.

A Reply's strings are literal text except the core's own markers: `*bold*` and `` `code` ``
on one line, a `\\` before `*`, a backtick or `\\` (bot.messages.literal), and a `- ` or `• `
that starts a list line. Each renderer turns spans into its platform's markup and escapes
everything else in them (one `escape` per platform), so a reply can only carry formatting,
mentions and links that mvbot chose.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeAlias

from bot.messages import Hyperlink, Mention

# Escaped markers travel as private-use characters while the subset is read, so the
# bold and code patterns never see them; they come back as the literal characters.
_HIDE = {"\\\\": "\ue000", "\\*": "\ue001", "\\`": "\ue002"}
_SHOW = str.maketrans({"\ue000": "\\", "\ue001": "*", "\ue002": "`"})
_ESCAPED = re.compile(r"\\[\\*`]")
_CODE = re.compile(r"`([^`\n]*)`")
_BOLD = re.compile(r"(?<![\w*])\*(\S(?:[^\n]*?\S)?)\*(?![\w*])")
_BULLET = re.compile(r"( *[-•] )(?=\S)")

# What a chat client would turn into a link by itself: a scheme, or a dotted host name
# (bare, after `www.`, in a URL or after the @ of an e-mail address).
_SCHEME = re.compile(r"\b(h)(tt)(ps?)(?=:)|\b([a-z][a-z0-9+.-]*)(:)(?=//)", re.IGNORECASE)
# C0/C1 controls but tab and newline, soft hyphen, zero-width space/non-joiner, word
# joiner, BOM, bidi embeddings, overrides and isolates. (ZWJ stays: emoji need it.)
_HIDDEN = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\xad\u200b\u200c\u2060\ufeff\u202a-\u202e\u2066-\u2069]"
)
_HOST = re.compile(r"(?<![\w.-])((?:[a-z0-9-]+\.)+)([a-z]{2,63})(?![\w-])", re.IGNORECASE)


@dataclass(frozen=True)
class Plain:
    text: str


@dataclass(frozen=True)
class Bold:
    text: str


@dataclass(frozen=True)
class Code:
    text: str


@dataclass(frozen=True)
class Anchor:
    """One of the reply's own links, where its URL stands in the text."""

    link: Hyperlink


@dataclass(frozen=True)
class Named:
    """A room or person mvbot named (bot.messages.Mention), where its label stands."""

    mention: Mention


Span: TypeAlias = Plain | Bold | Code | Anchor | Named


def _anchored(
    text: str, links: tuple[Hyperlink, ...], mentions: tuple[Mention, ...] = ()
) -> list[Span]:
    """Plain text with the reply's own URLs cut out as anchors and its mentions' labels as
    named rooms and people (longest first)."""
    marks: dict[str, Span] = {m.label: Named(m) for m in mentions if m.label}
    marks.update({link.url: Anchor(link) for link in links})
    if not marks:
        return [Plain(text)] if text else []
    pattern = "|".join(re.escape(found) for found in sorted(marks, key=len, reverse=True))
    out: list[Span] = []
    for index, piece in enumerate(re.split(f"({pattern})", text)):
        if index % 2:
            out.append(marks[piece])
        elif piece:
            out.append(Plain(piece))
    return out


def spans(
    line: str, links: tuple[Hyperlink, ...] = (), mentions: tuple[Mention, ...] = ()
) -> list[Span]:
    """One line of the subset as plain, bold and code spans, markers removed, escapes undone;
    a URL of `links` in plain text becomes an anchor (the only links a renderer draws)."""
    hidden = _ESCAPED.sub(lambda m: _HIDE[m.group()], line)
    out: list[Span] = []
    for index, piece in enumerate(_CODE.split(hidden)):
        if index % 2:
            out.append(Code(piece.translate(_SHOW)))
            continue
        for inner, text in enumerate(_BOLD.split(piece)):
            if inner % 2:
                out.append(Bold(text.translate(_SHOW)))
            else:
                out.extend(_anchored(text.translate(_SHOW), links, mentions))
    return out


def bullet(line: str) -> tuple[str, str]:
    """The core's list marker at the start of a line (or ""), and the rest of the line."""
    found = _BULLET.match(line)
    return (found.group(1), line[found.end() :]) if found else ("", line)


def clean(text: str) -> str:
    """Without the invisible characters that hide or reorder text (terminal controls,
    bidi overrides, zero-width spaces), which could also split an address past `defang`."""
    return _HIDDEN.sub("", text)


def defang(text: str) -> str:
    """URLs, host names and e-mail domains as text no client links: `hxxps://evil[.]example`.

    The `[.]`/`hxxp` convention is what security people use to quote an address; it reads
    as an address to a human, is obviously not a link, and no autolinker matches it.
    """
    text = _SCHEME.sub(_unscheme, clean(text))
    return _HOST.sub(lambda m: m.group(1).replace(".", "[.]") + m.group(2), text)


def unscheme(text: str) -> str:
    """Only the scheme defanged, for code (commands to copy, table cells): clients link no
    host name or e-mail there, but a full URL is still better not clickable."""
    return _SCHEME.sub(_unscheme, clean(text))


def _unscheme(found: re.Match[str]) -> str:
    if found.group(1):
        return f"{found.group(1)}xx{found.group(3)}"
    return f"{found.group(4)}[:]"


def lines(
    text: str,
    draw: Callable[[Span], str],
    *,
    start: Callable[[str], str] | None = None,
    links: tuple[Hyperlink, ...] = (),
    mentions: tuple[Mention, ...] = (),
) -> str:
    """Render every line of `text`: the core's list marker kept, each span drawn by `draw`,
    and `start` (if any) given the first plain text of a line (block markup lives there)."""
    out: list[str] = []
    for line in text.split("\n"):
        marker, rest = bullet(line)
        parts = spans(rest, links, mentions)
        drawn = [draw(span) for span in parts]
        if start is not None and parts and isinstance(parts[0], Plain) and not marker:
            drawn[0] = start(drawn[0])
        out.append(marker + "".join(drawn))
    return "\n".join(out)
