"""Slack payloads → neutral commands: slash commands, mentions, direct messages, button presses."""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from adapters.slack.manifest import ACTION_PREFIX
from bot.messages import Message, Person, Place

PLATFORM = "slack"

# <target|label> or <target>: Slack's markup for links, e-mails, channels and people.
_MARKUP = re.compile(r"<([^<>|]*)(?:\|([^<>]*))?>")


@dataclass(frozen=True)
class Asker:
    """The Slack user a command came from, and how to answer them privately."""

    user_id: str
    response_url: str | None = None  # slash commands and button presses carry one
    # What the room did not see, shown under public replies: the slash command as typed
    # ("/mv clip lobby 10m ago 2m") or the label of the button pressed.
    typed: str | None = None
    pressed: str | None = None

    @classmethod
    def of(cls, message: Message) -> Asker:
        """The asker of a command Incoming.message made (its Slack details are in `extra`)."""
        extra = message.extra
        return cls(
            message.person.id, extra.get("response_url"), extra.get("typed"), extra.get("pressed")
        )


@dataclass(frozen=True)
class Incoming:
    """A command from Slack before its sender has been looked up."""

    user_id: str
    text: str
    place: Place
    id: str | None = None
    response_url: str | None = None
    typed: str | None = None  # a slash command as typed: the room did not see it
    pressed: str | None = None  # the label of the button pressed
    file_url: str | None = None  # a file shared with the command (its private download URL)
    file_name: str | None = None

    def message(self, person: Person) -> Message:
        extra = {
            key: value
            for key, value in (
                ("response_url", self.response_url),
                ("typed", self.typed),
                ("pressed", self.pressed),
                ("file_url", self.file_url),
                ("file_name", self.file_name),
            )
            if value
        }
        return Message(self.text, person, self.place, self.id, extra)

    def asker(self) -> Asker:
        return Asker(self.user_id, self.response_url, self.typed, self.pressed)

    def to_json(self) -> dict[str, Any]:
        """What the runner stores to read the command again after a restart."""
        return {
            "user_id": self.user_id,
            "text": self.text,
            "place": self.place.to_json(),
            "id": self.id,
            "response_url": self.response_url,
            "typed": self.typed,
            "pressed": self.pressed,
            "file_url": self.file_url,
            "file_name": self.file_name,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Incoming:
        return cls(
            user_id=str(data["user_id"]),
            text=str(data["text"]),
            place=Place.from_json(data["place"]),
            id=data.get("id"),
            response_url=data.get("response_url"),
            typed=data.get("typed"),
            pressed=data.get("pressed"),
            file_url=data.get("file_url"),
            file_name=data.get("file_name"),
        )


def plain_text(text: str) -> str:
    """What the person typed, from Slack's formatted text: labels for links, addresses for
    e-mails, `#name` for channels, `@U123` for people, and `&`, `<`, `>` unescaped."""

    def unmark(match: re.Match[str]) -> str:
        target, label = match.group(1), match.group(2)
        if target.startswith("mailto:"):
            return label or target.removeprefix("mailto:")
        if target.startswith("#"):
            return f"#{label}" if label else target
        if target.startswith(("@", "!")):
            return "@" + (label or target[1:])
        return label or target

    return html.unescape(_MARKUP.sub(unmark, text))


def strip_mention(text: str, bot_user_id: str | None) -> str:
    """The text without the bot's own @mention (wherever it is) and surrounding blanks."""
    if bot_user_id:
        text = re.sub(rf"<@{re.escape(bot_user_id)}(?:\|[^>]*)?>", " ", text)
    return " ".join(text.split())


def from_command(body: Mapping[str, Any]) -> Incoming:
    """`/mv clip lobby 10m ago 2m` (the slash command payload, form-decoded)."""
    text = " ".join(plain_text(str(body.get("text", ""))).split())
    slash = str(body.get("command", ""))
    user = str(body["user_id"])
    return Incoming(
        user_id=user,
        text=text,
        place=Place(PLATFORM, str(body["channel_id"])),
        id=str(body["trigger_id"]) if body.get("trigger_id") else None,
        response_url=body.get("response_url"),
        typed=f"{slash} {text}".strip(),
    )


def _is_from_a_person(event: Mapping[str, Any], bot_user_id: str | None) -> bool:
    # Edits, joins and bot posts arrive as message subtypes; the bot's own posts would loop.
    return (
        event.get("subtype") in (None, "file_share")  # a file shared with the message is fine
        and "bot_id" not in event
        and bool(event.get("user"))
        and event.get("user") != bot_user_id
    )


def from_mention(event: Mapping[str, Any], bot_user_id: str | None) -> Incoming | None:
    """`@mvbot cameras` in a channel (an app_mention event), answered in its thread if any."""
    channel = str(event.get("channel", ""))
    if channel.startswith("D") or not _is_from_a_person(event, bot_user_id):
        return None  # a direct message arrives as message.im as well: handled there
    text = plain_text(strip_mention(str(event.get("text", "")), bot_user_id))
    return Incoming(
        user_id=str(event["user"]),
        text=text,
        place=Place(PLATFORM, channel, event.get("thread_ts")),
        id=event.get("client_msg_id") or event.get("ts"),
        **_shared_file(event),
    )


def from_direct(event: Mapping[str, Any], bot_user_id: str | None) -> Incoming | None:
    """A direct message to the bot (a message.im event); other message events are ignored."""
    if event.get("channel_type") != "im" or not _is_from_a_person(event, bot_user_id):
        return None
    text = plain_text(strip_mention(str(event.get("text", "")), bot_user_id))
    return Incoming(
        user_id=str(event["user"]),
        text=text,
        place=Place(PLATFORM, str(event["channel"]), event.get("thread_ts"), direct=True),
        id=event.get("client_msg_id") or event.get("ts"),
        **_shared_file(event),
    )


def _shared_file(event: Mapping[str, Any]) -> dict[str, str]:
    """The first file shared with a message (`watchlist import` reads it), if any."""
    files = event.get("files") or []
    first = files[0] if files and isinstance(files[0], Mapping) else {}
    url = first.get("url_private_download") or first.get("url_private")
    if not url:
        return {}
    return {"file_url": str(url), "file_name": str(first.get("name") or "upload")}


def from_actions(body: Mapping[str, Any]) -> list[Incoming]:
    """Button presses (a block_actions payload): each runs its command for the presser, in
    the channel and thread of the message that carries the button."""
    user = str(body["user"]["id"])
    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get(
        "channel_id"
    )
    if not channel:
        return []
    message = body.get("message") or {}
    thread = message.get("thread_ts") or (body.get("container") or {}).get("thread_ts")
    direct = str(channel).startswith("D")
    presses: list[Incoming] = []
    for action in body.get("actions", []):
        if not str(action.get("action_id", "")).startswith(ACTION_PREFIX) or not action.get(
            "value"
        ):
            continue
        label = (action.get("text") or {}).get("text", action["value"])
        presses.append(
            Incoming(
                user_id=user,
                text=str(action["value"]),
                place=Place(PLATFORM, str(channel), thread, direct),
                id=action.get("action_ts"),
                response_url=body.get("response_url"),
                pressed=str(label),
            )
        )
    return presses
