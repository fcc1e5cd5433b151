"""What a share is: a camera shared to an e-mail until a time, the link that reaches it, its log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any


class AccessEvent(StrEnum):
    """The access log's events, named as seed 001's video access log names them."""

    GENERATED = "generated"
    VIEWED = "viewed"
    EXTENDED = "extended"
    DISABLED = "disabled"

    @property
    def label(self) -> str:
        return f"link {self.value}"


class EndReason(StrEnum):
    REVOKED = "revoked"
    EXPIRED = "expired"


@dataclass(frozen=True)
class CameraFacts:
    """What the viewer page shows about a camera (seed 001's list), captured at share time."""

    serial: str
    name: str
    model: str
    network_name: str
    org_name: str
    address: str


@dataclass(frozen=True)
class Share:
    """One camera shared with one e-mail; active until `expires_at` unless ended earlier."""

    id: str
    email: str
    camera: CameraFacts
    recipient_name: str | None
    reason: str | None
    created_at: datetime
    created_by: str
    place: dict[str, Any] | None  # the room that created it: reminders go there
    expires_at: datetime
    reminded_for: datetime | None  # the expiry a reminder was already sent for
    ended_at: datetime | None
    end_reason: EndReason | None

    @property
    def serial(self) -> str:
        return self.camera.serial

    def active(self, now: datetime) -> bool:
        return self.ended_at is None and now < self.expires_at


@dataclass(frozen=True)
class Link:
    """A viewer link: only the SHA-256 of its token is kept, and a salted hash of its PIN."""

    id: str
    email: str
    token_hash: str
    pin_hash: str | None
    created_at: datetime
    created_by: str
    disabled_at: datetime | None


@dataclass(frozen=True)
class AccessEntry:
    at: datetime
    event: AccessEvent
    email: str
    serial: str | None = None
    camera: str | None = None
    client_address: str | None = None
    user_agent: str | None = None
    actor: str | None = None  # who did it from chat; None for a viewer
    detail: str | None = None

    @classmethod
    def by(
        cls,
        actor: str,
        at: datetime,
        event: AccessEvent,
        email: str,
        camera: CameraFacts,
        detail: str | None,
    ) -> AccessEntry:
        """An entry for what `actor` (a person in chat, or the expiry job) did to a camera."""
        return cls(at, event, email, camera.serial, camera.name, actor=actor, detail=detail)


@dataclass(frozen=True)
class Grant:
    """What a valid token reaches right now: its link and its e-mail's active shares."""

    link: Link
    shares: tuple[Share, ...]  # active, in the order they were shared
    ended: tuple[Share, ...]  # this e-mail's shares that were revoked or have expired

    def share_for(self, serial: str) -> Share | None:
        return next((s for s in self.shares if s.serial == serial), None)

    def had(self, serial: str) -> bool:
        return any(s.serial == serial for s in self.ended)


@dataclass(frozen=True)
class NewLink:
    """The result of `share`: the link in clear (shown once, never stored) and its PIN."""

    url: str
    pin: str | None
    email: str
    shares: tuple[Share, ...]  # every active share of the e-mail, after this one
    added: tuple[Share, ...]  # the shares this command created
    expires_at: datetime
