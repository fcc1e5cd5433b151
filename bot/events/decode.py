"""Plate read payloads: mvbot's default shapes and configurable field names → PlateRead.

LPR over MQTT has no published format (FACTS.md), so every field is looked up by a list
of configurable names (dotted paths reach into objects); docs/events.md is the contract.
Whatever a payload holds, decoding ends in a PlateRead that fits the store's columns or in
Malformed: a message the store would refuse must never reach it (it would stay
unacknowledged and, redelivered first after every restart, stall the ingest).
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any, NamedTuple

from bot.config.sections import PlatesSettings
from bot.events.lpr import MAX_PLATE, normalise
from bot.store.column_types import as_utc

# Epoch numbers above this are milliseconds: 1e11 s is the year 5138, 1e11 ms is 1973.
_MILLIS_FROM = 1e11
_MAX_RAW = 64
_MAX_SERIAL = 64  # the store's column
_MAX_TOPIC = 255  # the store's column
TOPICS_CACHED = 4096  # topics whose serial is remembered: a fleet's cameras
# A camera's clock may run a little fast; a read a day ahead is a broken clock or a forgery.
FUTURE_SLACK = timedelta(days=1)
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)  # before any MV camera: a placeholder or garbage
# Printable ASCII without spaces: Meraki serials are Q2XX-XXXX-XXXX; anything else in that
# column (a NUL, which PostgreSQL refuses) is a broken message.
_SERIAL = re.compile(r"[\x21-\x7e]{1,64}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class Malformed(ValueError):
    """A message that is not a plate read; `reason` is a short label for metrics."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason


@dataclass(frozen=True)
class FieldMap:
    plate: tuple[str, ...]
    time: tuple[str, ...]
    confidence: tuple[str, ...]
    region: tuple[str, ...]
    serial: tuple[str, ...]

    @classmethod
    def from_settings(cls, settings: PlatesSettings) -> FieldMap:
        return cls(
            plate=tuple(settings.plate_fields),
            time=tuple(settings.time_fields),
            confidence=tuple(settings.confidence_fields),
            region=tuple(settings.region_fields),
            serial=tuple(settings.serial_fields),
        )


class PlateRead(NamedTuple):
    """One read of one plate by one camera (a named tuple: a burst builds thousands of them,
    and a frozen dataclass costs a call per field to build)."""

    key: str  # identifies the message, so that a redelivery is recognised
    topic: str
    serial: str
    plate: str  # normalised
    raw: str  # as the camera spelled it
    at: datetime
    confidence: float | None = None
    region: str | None = None


def decode_plate(
    topic: str,
    payload: bytes,
    topic_filter: str,
    fields: FieldMap,
    received_at: datetime,
    *,
    oldest: timedelta | None = None,
) -> PlateRead:
    """The read a message carries; Malformed if it carries none, or one the store could not
    hold, or one timed more than a day ahead of `received_at` or `oldest` before it."""
    try:
        return _decode(topic, payload, topic_filter, fields, received_at, oldest)
    except Malformed:
        raise
    except RecursionError:
        raise Malformed("too_deep", "the payload nests deeper than can be read") from None
    except Exception as error:  # any payload must end as a read or as Malformed
        raise Malformed("undecodable", f"reading it failed: {type(error).__name__}") from None


def _decode(
    topic: str,
    payload: bytes,
    topic_filter: str,
    fields: FieldMap,
    received_at: datetime,
    oldest: timedelta | None,
) -> PlateRead:
    try:
        data = json.loads(payload)
    except (ValueError, UnicodeDecodeError):
        raise Malformed("not_json", "the payload is not JSON") from None
    if not isinstance(data, dict):
        raise Malformed("not_object", "the payload is not a JSON object")
    raw = _first(data, fields.plate)
    if not isinstance(raw, str | int) or isinstance(raw, bool):
        raise Malformed("no_plate", f"none of {', '.join(fields.plate)} holds a plate")
    raw = str(raw)
    plate = normalise(raw)
    if not 1 <= len(plate) <= MAX_PLATE:
        raise Malformed("bad_plate", "the plate is empty or too long")
    serial = _first(data, fields.serial)
    if isinstance(serial, str) and serial.strip():
        serial = serial.strip().upper()
        if not _SERIAL.fullmatch(serial):
            raise Malformed("bad_serial", f"the serial is not 1–{_MAX_SERIAL} visible characters")
    else:
        serial = _serial_of_topic(topic, topic_filter)
    at = _time(_first(data, fields.time), received_at)
    if at > received_at + FUTURE_SLACK:
        raise Malformed("bad_time", "the time is more than a day in the future")
    if at < EARLIEST or (oldest is not None and at < received_at - oldest):
        raise Malformed("too_old", "the time is before any camera keeps footage")
    return PlateRead(
        key=hashlib.sha256(topic.encode() + b"\0" + payload).hexdigest(),
        topic=_stored_topic(topic),
        serial=serial,
        plate=plate,
        raw=_printable(raw)[:_MAX_RAW],
        at=at,
        confidence=_confidence(_first(data, fields.confidence)),
        region=_text(_first(data, fields.region)),
    )


# A fleet has a few topics, each carrying thousands of reads: what a topic gives is worked
# out once (a plate burst spends its time per message, docs/benchmarks.md). Only topics that
# fit the store's column are remembered: a longer one is garbage, and could fill the memory.


def _serial_of_topic(topic: str, topic_filter: str) -> str:
    if len(topic) > _MAX_TOPIC:
        return _topic_serial.__wrapped__(topic, topic_filter)
    return _topic_serial(topic, topic_filter)


def _stored_topic(topic: str) -> str:
    if len(topic) > _MAX_TOPIC:
        return _column_topic.__wrapped__(topic)
    return _column_topic(topic)


@lru_cache(maxsize=TOPICS_CACHED)
def _topic_serial(topic: str, topic_filter: str) -> str:
    serial = serial_from_topic(topic, topic_filter)
    if not serial:
        raise Malformed("no_serial", "neither the payload nor the topic names the camera")
    serial = serial.strip().upper()
    if not _SERIAL.fullmatch(serial):
        raise Malformed("bad_serial", f"the serial is not 1–{_MAX_SERIAL} visible characters")
    return serial


@lru_cache(maxsize=TOPICS_CACHED)
def _column_topic(topic: str) -> str:
    return _printable(topic)[:_MAX_TOPIC]


def serial_from_topic(topic: str, topic_filter: str) -> str | None:
    """The topic level under the filter's first `+` ('/merakimv/+/lpr' → the serial)."""
    levels, wanted = topic.split("/"), topic_filter.split("/")
    for index, level in enumerate(wanted):
        if level == "+" and index < len(levels):
            return levels[index] or None
        if level == "#":
            break
    return None


def epoch_moment(number: float) -> datetime | None:
    """Epoch seconds, or milliseconds above 10¹¹, in UTC; None unless a positive time in range."""
    seconds = number / 1000 if number > _MILLIS_FROM else float(number)
    if not math.isfinite(seconds) or seconds <= 0:
        return None
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _first(data: Mapping[str, Any], paths: Sequence[str]) -> Any:
    for path in paths:
        if "." not in path:  # the usual case, without splitting
            value = data.get(path)
        else:
            value = data
            for part in path.split("."):
                value = value.get(part) if isinstance(value, dict) else None
        if value is not None:
            return value
    return None


def _time(value: Any, received_at: datetime) -> datetime:
    if value is None:
        return received_at
    if isinstance(value, int | float) and not isinstance(value, bool):
        moment = epoch_moment(value)
        if moment is None:
            raise Malformed("bad_time", "the time is not a positive epoch number in range")
        return moment
    if isinstance(value, str):
        text = value.strip()
        try:
            number = float(text)
        except ValueError:
            pass
        else:
            return _time(number, received_at)
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise Malformed("bad_time", "the time is neither a number nor ISO 8601") from None
        try:
            return as_utc(moment)  # a time without a zone is UTC, as the store keeps it
        except (OverflowError, ValueError):  # 9999-12-31T23:59:59-14:00 is past year 9999 in UTC
            raise Malformed("bad_time", "the time is out of range") from None
    raise Malformed("bad_time", "the time is neither a number nor ISO 8601")


def _confidence(value: Any) -> float | None:
    if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value):
        return None
    share = value / 100 if value > 1 else float(value)
    return min(max(share, 0.0), 1.0)


def _text(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    text = _printable(str(value)).strip()[:64]
    return text or None


def _printable(text: str) -> str:
    """Without control characters: PostgreSQL refuses NUL in text, and logs mangle the rest."""
    return text if text.isprintable() else _CONTROL.sub("", text)
