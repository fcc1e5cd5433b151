"""The command in a Webex message: its text without the bot's @mention.

In a group space Webex delivers only messages that mention the bot. The mention is a
`<spark-mention data-object-type="person" data-object-id="…">` element in `html`, and
appears in `text` as the display name (or the part of it the person kept) at the start.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from html.parser import HTMLParser


@dataclass(frozen=True)
class Identity:
    """The bot itself, as Webex knows it."""

    id: str
    name: str
    emails: tuple[str, ...] = ()


def canonical_id(webex_id: str) -> str:
    """The UUID at the end of a Webex id: ids come base64-encoded (`ciscospark://us/PEOPLE/<uuid>`)
    in the REST API but may appear in either form inside message html."""
    try:
        decoded = base64.b64decode(webex_id + "=" * (-len(webex_id) % 4), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return webex_id.lower()
    if "/" not in decoded:
        return webex_id.lower()
    return decoded.rsplit("/", 1)[-1].lower()


def same_id(a: str | None, b: str | None) -> bool:
    return a is not None and b is not None and canonical_id(a) == canonical_id(b)


class _Text(HTMLParser):
    """Collects the visible text, leaving out mentions of one person."""

    def __init__(self, person_id: str) -> None:
        super().__init__(convert_charrefs=True)
        self._person_id = person_id
        self._skipping = 0
        self.parts: list[str] = []
        self.found = False  # whether the html mentioned that person at all

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._skipping:
            self._skipping += tag == "spark-mention"
            return
        named = dict(attrs)
        if tag == "spark-mention" and same_id(named.get("data-object-id"), self._person_id):
            self._skipping = 1
            self.found = True
        elif tag in ("br", "p", "div", "li"):
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if self._skipping and tag == "spark-mention":
            self._skipping -= 1

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def _strip_name(text: str, bot: Identity) -> str:
    """Drop the bot's name from the start of `text`: in full, or its first word."""
    words = bot.name.split()
    for name in dict.fromkeys([bot.name, *words[:1]]):
        match = re.match(rf"@?{re.escape(name)}(?=\W|$)[\s,:]*", text, re.IGNORECASE)
        if name and match:
            return text[match.end() :]
    return text


def command_text(text: str, html: str | None, bot: Identity, *, group: bool) -> str:
    """What the person asked for, without the bot's mention, on one line of single spaces."""
    found = False
    if html:
        parser = _Text(bot.id)
        parser.feed(html)
        parser.close()
        text, found = "".join(parser.parts), parser.found
    if group and not found:
        text = _strip_name(text.strip(), bot)
    return " ".join(text.split())
