"""A sensor's heads-up: what it sensed, and the cameras whose clips follow in its thread."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.events.ledger import Alert
from bot.grammar.formatting import iso_utc, local_span, local_time
from bot.messages import Field, Reply, Tone, literal


def cameras_of(alert: Alert) -> list[tuple[str, str]]:
    """(serial, name) of each camera whose clip the alert posts: a sensor's linked cameras,
    else the alert's own."""
    listed = alert.content.get("cameras")
    if isinstance(listed, list) and listed:
        return [(str(c["serial"]), str(c["name"])) for c in listed if isinstance(c, Mapping)]
    return [(alert.serial, alert.camera)]


def sensor_heads_up(
    alert: Alert, content: Mapping[str, Any], zone: ZoneInfo, ready_at: datetime, when: str
) -> Reply:
    """A sensor's alert: what it sensed, when, and which cameras' clips follow."""
    title = str(content.get("title") or "Sensor alert")
    sensor = str(content["sensor"])
    names = [name for _, name in cameras_of(alert)]
    start, end = alert.at - alert.pre_roll, alert.at + alert.post_roll
    follows = (
        f"A clip ({local_span(start, end, zone)}) from each camera follows in this thread "
        f"when the footage is in the cloud, at about {local_time(ready_at, zone, date=False)}."
    )
    details = content.get("details") or {}
    fields = [
        Field("Sensor", literal(sensor)),
        Field("Cameras", literal(", ".join(names))),
        Field("Local time", when),
        Field("UTC", iso_utc(alert.at, precise=True)),
    ]
    if isinstance(details, Mapping):
        fields += [
            Field(str(k), literal(str(v)))
            for k, v in list(details.items())[:6]
            if k not in ("sensor", "deviceName")
        ]
    return Reply(
        title=f"{title} — {sensor}",
        text=f"*{literal(title)}* at sensor *{literal(sensor)}*, {when}",
        tone=Tone.WARNING,
        fields=tuple(fields),
        context=(follows,),
    )
