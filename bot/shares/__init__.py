"""External stream shares: camera links for people without a dashboard account (seed 001)."""

from bot.shares.delivery import LinkDelivery, deliver
from bot.shares.facts import camera_facts
from bot.shares.model import (
    AccessEntry,
    AccessEvent,
    CameraFacts,
    EndReason,
    Grant,
    Link,
    NewLink,
    Share,
)
from bot.shares.service import NoActiveShare, ShareService, normalise_email
from bot.shares.store import ShareStore

__all__ = [
    "AccessEntry",
    "AccessEvent",
    "CameraFacts",
    "EndReason",
    "Grant",
    "Link",
    "LinkDelivery",
    "NewLink",
    "NoActiveShare",
    "Share",
    "ShareService",
    "ShareStore",
    "camera_facts",
    "deliver",
    "normalise_email",
]
