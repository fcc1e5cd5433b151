"""Webex webhook deliveries → neutral Messages, through a table keyed on (resource, event).

A delivery carries only ids, so each handler fetches what they name: the message (for its
text), or the attachment action (for the pressed button's command) and the card it was
pressed on (for the room type and thread). The bot's own messages are dropped before any
API call, or it would answer itself.

Threads: a command in a thread is answered in that thread; a top-level command in a group
space is answered in a thread under it, so its clip, and a deferred clip minutes later,
stay beside the question. One-to-one spaces are answered at top level.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from adapters.people import People
from adapters.webex.cards import command_of
from adapters.webex.client import Json, WebexClient, WebexError
from adapters.webex.mentions import Identity, command_text, same_id
from bot.messages import Message, Person, Place

log = logging.getLogger(__name__)

PLATFORM = "webex"
EMPTY_COMMAND = "help"  # someone mentioned the bot and said nothing else


def place_of(message: Mapping[str, Any]) -> Place:
    """Where to answer a Webex message: its space, in its thread (see the module docstring)."""
    direct = message.get("roomType") == "direct"
    thread = message.get("parentId") or (None if direct else message.get("id"))
    return Place(PLATFORM, str(message["roomId"]), thread, direct)


def webex_people(client: WebexClient) -> People:
    """The people cache, looking Webex persons up with GET /people/{id}."""

    async def look_up(person_id: str) -> Person | None:
        try:
            data = await client.person(person_id)
        except WebexError as error:
            # The command still runs: authorization by id (and e-mail, if we have it) works.
            log.warning("webex person lookup failed person=%s error=%s", person_id, error)
            return None
        emails = data.get("emails") or []
        return Person(
            PLATFORM,
            person_id,
            name=data.get("displayName"),
            email=str(emails[0]) if emails else None,
            time_zone=data.get("timezone") or data.get("timeZone"),
        )

    return People(PLATFORM, look_up)


Handler = Callable[[Mapping[str, Any], Identity], Awaitable[Message | None]]


class Inbound:
    """Turns a verified delivery into the Message to hand the core, or None to ignore it."""

    def __init__(self, client: WebexClient, people: People) -> None:
        self._client = client
        self._people = people
        self._handlers: dict[tuple[str, str], Handler] = {
            ("messages", "created"): self._message_created,
            ("attachmentActions", "created"): self._action_created,
        }

    async def message(self, delivery: Mapping[str, Any], bot: Identity) -> Message | None:
        handler = self._handlers.get((str(delivery.get("resource")), str(delivery.get("event"))))
        data = delivery.get("data")
        if handler is None or not isinstance(data, Mapping) or not data.get("id"):
            return None
        if same_id(data.get("personId"), bot.id):
            return None  # the bot's own message or card press
        return await handler(data, bot)

    async def _message_created(self, data: Mapping[str, Any], bot: Identity) -> Message | None:
        message = await self._client.message(str(data["id"]))
        if same_id(message.get("personId"), bot.id):
            return None
        place = place_of(message)
        text = command_text(
            str(message.get("text") or ""), message.get("html"), bot, group=not place.direct
        )
        person = await self._people.person(str(message["personId"]), message.get("personEmail"))
        files = message.get("files") or []
        extra = {"file_url": str(files[0])} if files else {}  # `watchlist import` reads it
        return Message(text or EMPTY_COMMAND, person, place, id=str(message["id"]), extra=extra)

    async def _action_created(self, data: Mapping[str, Any], bot: Identity) -> Message | None:
        action: Json = await self._client.attachment_action(str(data["id"]))
        inputs = action.get("inputs")
        command = command_of(inputs) if isinstance(inputs, Mapping) else None
        if command is None or not action.get("messageId"):
            return None
        card = await self._client.message(str(action["messageId"]))
        if not same_id(card.get("personId"), bot.id):
            return None  # a card some other app posted: not ours to run
        person = await self._people.person(str(action["personId"]))
        return Message(command, person, place_of(card), id=str(action["id"]))
