"""How times, spans, sizes and durations read in replies: local time with its zone, and UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo


def local_time(moment: datetime, zone: ZoneInfo, *, date: bool = True) -> str:
    """'Sat 21 Nov 14:30:05 EST' (the year too when it is not this one), or just the clock."""
    local = moment.astimezone(zone)
    clock = local.strftime("%H:%M:%S %Z")
    if not date:
        return clock
    year = f" {local.year}" if local.year != datetime.now(zone).year else ""
    return f"{local.strftime('%a')} {local.day} {local.strftime('%b')}{year} {clock}"


def local_span(start: datetime, end: datetime, zone: ZoneInfo) -> str:
    """'Sat 21 Nov 14:30:00–14:32:00 EST'; the end's date shows only when it differs."""
    a, b = start.astimezone(zone), end.astimezone(zone)
    head = f"{a.strftime('%a')} {a.day} {a.strftime('%b')} {a.strftime('%H:%M:%S')}"
    if a.date() == b.date():
        return f"{head}–{b.strftime('%H:%M:%S %Z')}"
    return f"{head}–{b.strftime('%a')} {b.day} {b.strftime('%b')} {b.strftime('%H:%M:%S %Z')}"


def utc_span(start: datetime, end: datetime) -> str:
    """'2026-11-21 19:30:00–19:32:00 UTC'."""
    a, b = start.astimezone(UTC), end.astimezone(UTC)
    tail = b.strftime("%H:%M:%S") if a.date() == b.date() else b.strftime("%Y-%m-%d %H:%M:%S")
    return f"{a.strftime('%Y-%m-%d %H:%M:%S')}–{tail} UTC"


def short_span(start: datetime, end: datetime, zone: ZoneInfo) -> str:
    """'14:30:00–14:32:00' in local time, for one-line messages."""
    a, b = start.astimezone(zone), end.astimezone(zone)
    return f"{a.strftime('%H:%M:%S')}–{b.strftime('%H:%M:%S')}"


def duration(length: timedelta) -> str:
    """'2 min', '1 min 30 s', '45 s', '1 h 5 min'."""
    seconds = round(length.total_seconds())
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{hours} h" if hours else "", f"{minutes} min" if minutes else ""]
    parts.append(f"{secs} s" if secs or not (hours or minutes) else "")
    return " ".join(p for p in parts if p)


def size(count: int) -> str:
    """'1.2 MB' (decimal units, as chat clients show file sizes)."""
    value = float(count)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    raise AssertionError("unreachable")


def iso_utc(moment: datetime, *, precise: bool = False) -> str:
    """'2026-11-21T19:30:00Z'; `precise` adds milliseconds, for commands that buttons re-run."""
    utc = moment.astimezone(UTC)
    millis = f".{utc.microsecond // 1000:03d}" if precise and utc.microsecond >= 1000 else ""
    return utc.strftime("%Y-%m-%dT%H:%M:%S") + millis + "Z"
