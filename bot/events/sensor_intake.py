"""Sensor news from a webhook: how a Meraki MT alert names its sensor and what it sensed.

The nesting of an MT alert's trigger is not publicly pinned down (FACTS.md): the list's
key under alertData is configurable ([sensors] trigger_list), each entry may hold its
fields under `trigger` or flat, and every field is optional. What cannot be read is left
out of the heads-up, never guessed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.config.sections import SensorsSettings
from bot.events.hook_fields import MAX_DETAIL, MAX_SERIAL
from bot.events.sensor_links import MAX_SENSOR

_TRIGGER_TITLES = {
    "door": "Door opened",
    "water": "Water detected",
    "temperature": "Temperature alert",
    "humidity": "Humidity alert",
}


@dataclass(frozen=True)
class SensorNews:
    names: tuple[str, ...]  # every way the sensor is known: serial, name
    label: str  # how people are told its name
    title: str
    details: Mapping[str, str]
    stamp: Any  # the trigger's time as sent (None: the alert's own)


def meraki_sensor(data: Mapping[str, Any], settings: SensorsSettings) -> SensorNews:
    serial = _text(data.get("deviceSerial"))[:MAX_SERIAL]
    name = _text(data.get("deviceName"))[:MAX_SENSOR]
    alert_data = data.get("alertData")
    alert_data = alert_data if isinstance(alert_data, Mapping) else {}
    trigger = _first_trigger(alert_data.get(settings.trigger_list))
    kind = _text(trigger.get("type") or alert_data.get("type"))
    value = trigger.get("sensorValue", alert_data.get("sensorValue"))
    title = _text(data.get("alertType")) or _TRIGGER_TITLES.get(kind.lower(), "Sensor alert")
    details = {"sensor": name or serial}
    if kind:
        details["trigger"] = kind[:MAX_DETAIL]
    if value is not None:
        details["value"] = str(value)[:MAX_DETAIL]
    if data.get("alertLevel"):
        details["alertLevel"] = str(data["alertLevel"])[:MAX_DETAIL]
    return SensorNews(
        names=tuple(n for n in (serial, name) if n),
        label=name or serial or "unnamed sensor",
        title=title[:200],
        details=details,
        stamp=trigger.get("ts"),
    )


def _first_trigger(value: Any) -> Mapping[str, Any]:
    """The first trigger of the list: its `trigger` object, or the entry itself."""
    entries = value if isinstance(value, list) else [value]
    for entry in entries:
        if isinstance(entry, Mapping):
            inner = entry.get("trigger")
            return inner if isinstance(inner, Mapping) else entry
    return {}


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""
