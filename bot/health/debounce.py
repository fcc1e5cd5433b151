"""When a camera's seen status becomes a change worth telling: once it has held a while.

A pure state machine, so that the debounce is tested in virtual time: `observe` takes what
was seen and when, and returns the camera's new state and the change to tell, if any.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

ONLINE, OFFLINE = "online", "offline"
# Meraki's availabilities also say "alerting" (up, with a problem) and "dormant" (not seen
# for a long time); only whether footage is being recorded matters here.
_DOWN = frozenset({"offline", "dormant"})
# `since` of a camera already offline when mvbot first saw it: when it went down is unknown,
# and the time mvbot started is not it.
UNKNOWN_SINCE = datetime(1970, 1, 1, tzinfo=UTC)


def health_of(status: str) -> str:
    """A Dashboard availability status as online or offline."""
    return OFFLINE if status.strip().lower() in _DOWN else ONLINE


@dataclass(frozen=True)
class CameraHealth:
    """What was last told (`status` since `since`) and what is seen now."""

    serial: str
    status: str
    since: datetime
    seen: str
    seen_since: datetime


@dataclass(frozen=True)
class Change:
    serial: str
    status: str
    at: datetime  # when the camera changed (first seen so), not when it was confirmed


def first_seen(serial: str, status: str, at: datetime) -> CameraHealth:
    """A camera seen for the first time: its status is taken as it is, nobody is told."""
    since = UNKNOWN_SINCE if status == OFFLINE else at
    return CameraHealth(serial, status, since, status, at)


def observe(
    state: CameraHealth, seen: str, at: datetime, now: datetime, debounce: timedelta
) -> tuple[CameraHealth, Change | None]:
    """The state after seeing `seen` at `at`, and the change to tell once it has held for
    `debounce` (measured up to `now`); a flap back before that tells nothing."""
    if seen != state.seen:
        state = replace(state, seen=seen, seen_since=at)
    if state.seen == state.status or now - state.seen_since < debounce:
        return state, None
    change = Change(state.serial, state.seen, state.seen_since)
    return replace(state, status=state.seen, since=state.seen_since), change
