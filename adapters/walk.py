"""One walk over a Reply: its parts, typed, in the order every renderer shows them.

A renderer matches each part and ends its `match` with `assert_never`, so a new part type
added to `Part` makes mypy point at every renderer that does not show it yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeAlias

from bot.messages import Attachment, Button, Field, Hyperlink, Mention, Reply, Tone, safe_link


@dataclass(frozen=True)
class Heading:
    """The tone, the title (None when there is none) and the text, with the reply's own
    links whose URL the text shows (drawn there as links)."""

    tone: Tone
    title: str | None
    text: str
    links: tuple[Hyperlink, ...] = ()
    mentions: tuple[Mention, ...] = ()  # drawn as the platform's mentions where it can


@dataclass(frozen=True)
class Fields:
    fields: tuple[Field, ...]


@dataclass(frozen=True)
class Links:
    """mvbot's own links: the only part a renderer draws as clickable links."""

    links: tuple[Hyperlink, ...]


@dataclass(frozen=True)
class Table:
    rows: tuple[tuple[str, ...], ...]  # first row is the header


@dataclass(frozen=True)
class File:
    attachment: Attachment


@dataclass(frozen=True)
class SmallPrint:
    lines: tuple[str, ...]


@dataclass(frozen=True)
class Buttons:
    buttons: tuple[Button, ...]


@dataclass(frozen=True)
class LinkButtons:
    """Buttons that open a link ("Open in Dashboard"), never run a command; https only."""

    links: tuple[Hyperlink, ...]


Part: TypeAlias = Heading | Fields | Links | Table | File | SmallPrint | Buttons | LinkButtons


def walk(reply: Reply) -> list[Part]:
    """Heading, fields, links, table, file, small print, buttons, link buttons: each only when
    the reply has it,
    except the heading and the small print, which are always there.

    Small print is walked even when empty because an adapter adds its own lines to it
    (who asked, a download link in place of an upload). `private` is not a part: it
    decides where a reply goes, not how it looks.
    """
    shown = tuple(link for link in reply.links if link.url in reply.text)
    named = tuple(m for m in reply.mentions if m.label and m.label in reply.text)
    parts: list[Part] = [Heading(reply.tone, reply.title or None, reply.text, shown, named)]
    if reply.fields:
        parts.append(Fields(reply.fields))
    if rest := tuple(link for link in reply.links if link not in shown):
        parts.append(Links(rest))
    if reply.table:
        parts.append(Table(reply.table))
    if reply.attachment is not None:
        parts.append(File(reply.attachment))
    parts.append(SmallPrint(reply.context))
    if reply.buttons:
        parts.append(Buttons(reply.buttons))
    if opened := link_buttons(reply):
        parts.append(LinkButtons(opened))
    return parts


def link_buttons(reply: Reply) -> tuple[Hyperlink, ...]:
    """The reply's link buttons that may be drawn: an unsafe URL is dropped, never shown."""
    return tuple(link for link in reply.link_buttons if safe_link(link.url))
