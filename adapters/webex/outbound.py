"""A Reply as the Webex messages that carry it: markdown chunks, one file, a card of buttons.

Every message goes to the reply's room and thread (`parentId`), except a private reply in
a group room, which goes to the asker alone (`toPersonId`) and never into the room. The
file rides on the first message; a file over the upload limit becomes a signed mvbot
download link instead. Buttons go in a message of their own after the content, because
a Webex client shows a message's card *instead of* its markdown.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from adapters.webex.cards import buttons_card, card_fallback, has_card
from adapters.webex.markdown import escape, link, render_markdown, split_markdown
from bot.grammar.formatting import size
from bot.messages import Attachment, Hyperlink, Person, Place, Reply
from bot.web.links import FileLinks

log = logging.getLogger(__name__)

FILE_LIMIT = 100 * 1024 * 1024  # bytes of the one file a Webex message may carry


class NoRecipient(LookupError):
    """A private reply in a group room, but the person it is meant for is not known."""


@dataclass(frozen=True)
class Outgoing:
    """One `messages.create` call."""

    markdown: str
    room_id: str | None = None
    parent_id: str | None = None
    to_person_id: str | None = None
    file: Path | None = None
    card: Mapping[str, Any] | None = None

    def fields(self) -> dict[str, Any]:
        """The SDK's keyword arguments (the file is passed separately, as a path)."""
        fields: dict[str, Any] = {"markdown": self.markdown}
        for name, value in (
            ("roomId", self.room_id),
            ("parentId", self.parent_id),
            ("toPersonId", self.to_person_id),
        ):
            if value is not None:
                fields[name] = value
        if self.card is not None:
            fields["attachments"] = [dict(self.card)]
        return fields


def oversize_note(attachment: Attachment, links: FileLinks, file_limit: int) -> str:
    limit = f"{file_limit / 2**20:.0f} MB"
    what = (
        f"**{escape(attachment.filename)}** ({size(attachment.size)}) is over Webex's {limit} limit"
    )
    try:
        url = links.url_for(attachment.path)
    except ValueError:  # outside the directory links may serve: a deployment mistake
        log.error("no download link for an oversize file path=%s", attachment.path)
        return f"📎 {what}, and I could not make a download link for it."
    download = link(Hyperlink(attachment.filename, url))
    return f"📎 {what}, so here is a download link instead (it expires): {download}"


def plan_messages(
    place: Place,
    reply: Reply,
    *,
    links: FileLinks,
    recipient: Person | None = None,
    file_limit: int = FILE_LIMIT,
    key: str | None = None,
) -> list[Outgoing]:
    """The messages, in order; `recipient` is who asked, for a private reply in a group room;
    `key` (an automatic post's idempotency key) rides on the card of buttons."""
    address = Outgoing("", room_id=place.room_id, parent_id=place.thread_id)
    if reply.private and not place.direct:
        if recipient is None:
            raise NoRecipient("a private reply, but no asker is known for this place")
        address = Outgoing("", to_person_id=recipient.id)
    markdown = render_markdown(reply)
    file: Path | None = None
    if reply.attachment is not None:
        if reply.attachment.size <= file_limit:
            file = reply.attachment.path
        else:
            markdown += "\n\n" + oversize_note(reply.attachment, links, file_limit)
    messages = [
        replace(address, markdown=chunk, file=file if index == 0 else None)
        for index, chunk in enumerate(split_markdown(markdown))
    ]
    if has_card(reply):
        card = buttons_card(reply, key)
        messages.append(replace(address, markdown=card_fallback(reply), card=card))
    return messages
