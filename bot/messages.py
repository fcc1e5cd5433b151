"""The neutral vocabulary of the core and every adapter: who, where, what was said, the answer.

None of these types knows anything of Slack, Webex or the terminal; an adapter turns a
platform payload into a `Message` and renders a `Reply` in its platform's native form.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Person:
    """Someone who talks to the bot, as their platform identifies them."""

    platform: str
    id: str
    name: str | None = None
    email: str | None = None
    time_zone: str | None = None  # IANA name, when the platform tells us

    @property
    def label(self) -> str:
        return self.name or self.email or self.id


@dataclass(frozen=True)
class Place:
    """Where a conversation happens: a room or channel, optionally a thread in it."""

    platform: str
    room_id: str
    thread_id: str | None = None
    direct: bool = False  # a one-to-one conversation with the bot

    def in_thread(self, thread_id: str | None) -> Place:
        return Place(self.platform, self.room_id, thread_id, self.direct)

    def to_json(self) -> dict[str, Any]:
        """The place as the store keeps it (jobs, shares, alerts)."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Place:
        return cls(
            data["platform"], data["room_id"], data.get("thread_id"), data.get("direct", False)
        )


@dataclass(frozen=True)
class SharedFile:
    """A file someone posted with a command (`verify` and an upload): its adapter reads it
    by `ref` (a Slack file id, a Webex content URL), which is opaque to the core."""

    name: str
    size: int | None  # bytes, when the platform says
    ref: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SharedFile:
        size = data.get("size")
        return cls(
            str(data.get("name") or ""), int(size) if size is not None else None, str(data["ref"])
        )


@dataclass(frozen=True)
class Message:
    """A command someone typed (or pressed as a button)."""

    text: str
    person: Person
    place: Place
    id: str | None = None
    # Platform details its adapter needs to answer this message (Slack: the response_url,
    # the command as typed, the button pressed); opaque to the core, like SentMessage.extra.
    extra: Mapping[str, str] = field(default_factory=dict, hash=False)
    files: tuple[SharedFile, ...] = ()  # posted with the command

    def to_json(self) -> dict[str, Any]:
        """The command as the store keeps it while it runs (bot.inflight)."""
        return {
            "text": self.text,
            "person": asdict(self.person),
            "place": self.place.to_json(),
            "id": self.id,
            "extra": dict(self.extra),
            "files": [each.to_json() for each in self.files],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Message:
        person = data["person"]
        return cls(
            data["text"],
            Person(
                person["platform"],
                person["id"],
                person.get("name"),
                person.get("email"),
                person.get("time_zone"),
            ),
            Place.from_json(data["place"]),
            data.get("id"),
            {str(k): str(v) for k, v in (data.get("extra") or {}).items()},
            tuple(SharedFile.from_json(each) for each in data.get("files") or ()),
        )


class Tone(StrEnum):
    """How a reply should look: adapters pick colours and icons from it."""

    INFO = "info"
    SUCCESS = "success"
    PENDING = "pending"
    PROGRESS = "progress"
    WARNING = "warning"
    ERROR = "error"
    REFUSED = "refused"


@dataclass(frozen=True)
class Field:
    label: str
    value: str


@dataclass(frozen=True)
class Hyperlink:
    """A link mvbot built itself (a share viewer, a signed download): the only kind of link
    a renderer draws; a URL anywhere else in a Reply is shown as text that cannot be clicked."""

    label: str
    url: str


@dataclass(frozen=True)
class Mention:
    """A room or person mvbot names from its own records (never from what someone typed):
    where a reply's text shows `label`, a renderer on `platform` draws its own mention
    (Slack `<#C…>`, `<@U…>`; Webex a person); anywhere else, the label as text."""

    label: str
    platform: str
    kind: str  # "room" or "person"
    id: str


@dataclass(frozen=True)
class Button:
    """A button that, when pressed, runs `command` as if its presser had typed it."""

    label: str
    command: str
    danger: bool = False


@dataclass(frozen=True)
class Attachment:
    """A file to post with the reply: a clip, a snapshot, a chart or a CSV."""

    path: Path
    kind: str  # "video", "image" or "file"
    mime: str
    filename: str

    @property
    def size(self) -> int:
        return self.path.stat().st_size


@dataclass(frozen=True)
class Reply:
    """Everything the core says. `text` uses a small markdown subset: *bold*, `code`, lists.

    Every other character of every string is literal: each renderer escapes what its
    platform would read as markup (mentions, links, other formatting). Words from outside
    (people, cameras, events) go through `literal` so their `*` and backticks stay text.
    """

    text: str
    tone: Tone = Tone.INFO
    title: str | None = None
    fields: tuple[Field, ...] = ()
    context: tuple[str, ...] = ()  # small print: UTC span, checksum, hints
    attachment: Attachment | None = None
    buttons: tuple[Button, ...] = ()
    private: bool = False  # only the person who asked may see it
    table: tuple[tuple[str, ...], ...] = ()  # first row is the header
    links: tuple[Hyperlink, ...] = ()  # mvbot's own links, drawn as real links after the fields
    # Links from the API (the dashboard at the clip's start), drawn as buttons that open them;
    # only https links (`safe_link`) are ever drawn.
    link_buttons: tuple[Hyperlink, ...] = ()
    mentions: tuple[Mention, ...] = ()  # rooms and people the text names by their labels

    @property
    def failed(self) -> bool:
        return self.tone in (Tone.ERROR, Tone.REFUSED)


_MARKERS = re.compile(r"([\\*`])")
_UNSAFE_IN_URL = re.compile(r"[\s<>\"'`\\{}|^\x00-\x1f\x7f]")
MAX_URL = 2000


def safe_link(url: str) -> bool:
    """Whether a URL that came from outside mvbot (the Dashboard API) may be drawn as a link:
    https to a named host, short, and with no character a renderer's markup could act on."""
    if len(url) > MAX_URL or _UNSAFE_IN_URL.search(url):
        return False
    scheme, _, rest = url.partition("://")
    host = rest.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
    return scheme == "https" and bool(host) and "@" not in host


def literal(words: str) -> str:
    """Outside words (a camera name, a note, what someone typed) made safe to embed in a
    Reply's markup: the subset's own markers are backslash-escaped, so a person's `*` or
    backtick cannot open, close or unbalance the core's *bold* and `code`."""
    return _MARKERS.sub(r"\\\1", words)


@dataclass(frozen=True)
class SentMessage:
    """What an adapter hands back for a posted reply, so it can be edited in place later."""

    place: Place
    id: str
    extra: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The posted message as the store keeps it, to edit it after a restart."""
        return {"place": self.place.to_json(), "id": self.id, "extra": dict(self.extra)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SentMessage:
        extra = {str(k): str(v) for k, v in (data.get("extra") or {}).items()}
        return cls(Place.from_json(data["place"]), str(data["id"]), extra)
