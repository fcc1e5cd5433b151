"""What a webhook body may hold: bounded nesting, lengths that fit the columns, sane times.

Checked at the edge, before anything is stored, so that whatever a sender writes is
either refused with a one-line reason (HTTP 400) or fits the database: the limits below
are the widths of the hook_events and alerts columns (bot/events/tables.py).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

MAX_DEPTH = 16  # Meraki's alerts nest three levels; a generic event's details one
MAX_ROOMS = 20
MAX_TYPE = 64  # hook_events.type
MAX_SERIAL = 64  # hook_events.serial, alerts.serial
MAX_NETWORK = 64  # hook_events.network_id
MAX_CAMERA = 255  # hook_events.camera, alerts.camera
MAX_PLATFORM = 32  # alerts.platform
MAX_ROOM = 255  # alerts.room_id
MAX_TITLE = 200
MAX_DETAIL = 500
# A camera keeps footage for weeks, not decades; a clock a little ahead is forgiven.
EARLIEST = datetime(1970, 1, 2, tzinfo=UTC)
AHEAD = timedelta(days=1)


class InvalidEvent(ValueError):
    """A body that is JSON but not an event; `str()` says what is wrong (HTTP 400)."""


def json_object(body: bytes) -> dict[str, Any] | str:
    """The body's JSON object, or why it is not one (a sentence for the sender)."""
    try:
        data = json.loads(body)
    except RecursionError:
        return f"the body nests deeper than {MAX_DEPTH} levels"
    except (ValueError, UnicodeDecodeError):
        return "the body is not a JSON object"
    if not isinstance(data, dict):
        return "the body is not a JSON object"
    return _shape_problem(data) or data


def _shape_problem(value: Any) -> str | None:
    """Why a parsed body cannot be kept, walked without recursion: too deep, or text
    that no database can store (JSON's escapes can spell lone UTF-16 surrogates)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return "the body holds text that is not valid Unicode"
        elif isinstance(item, dict | list):
            if level > MAX_DEPTH:
                return f"the body nests deeper than {MAX_DEPTH} levels"
            children = [*item.keys(), *item.values()] if isinstance(item, dict) else item
            stack.extend((child, level + 1) for child in children)
    return None


def bounded_text(data: Mapping[str, Any], name: str, limit: int) -> str | None:
    """The field as trimmed text (None when absent or blank); InvalidEvent past `limit`."""
    value = data.get(name)
    text = value.strip() if isinstance(value, str) else None
    if text and len(text) > limit:
        raise InvalidEvent(f"'{name}' is longer than {limit} characters")
    return text or None


def in_range(moment: datetime, name: str, now: datetime) -> datetime:
    """The moment, if it is after 1970 and at most a day ahead of `now`."""
    if moment < EARLIEST:
        raise InvalidEvent(f"'{name}' is before 1970")
    if moment > now + AHEAD:
        raise InvalidEvent(f"'{name}' is more than a day in the future")
    return moment


def room_text(value: str) -> str:
    """A room as `platform:room`, refused when either part is wider than its column."""
    platform, _, room = value.strip().partition(":")
    if len(platform.strip()) > MAX_PLATFORM or len(room.strip()) > MAX_ROOM:
        raise InvalidEvent(
            f"a room is at most {MAX_PLATFORM} characters of platform and {MAX_ROOM} of id"
        )
    return value
