"""How occupancy reads in a room: counts now, a window's summary, the all-cameras table, alerts."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.cameras.directory import CameraRecord
from bot.grammar.formatting import duration, iso_utc, local_span
from bot.messages import Attachment, Button, Field, Reply
from bot.occupancy.history import History
from bot.occupancy.service import LiveView
from bot.occupancy.threshold_store import AlertRule
from bot.occupancy.thresholds import rearms_at
from bot.occupancy.zones import FULL_FRAME

VEHICLE = "vehicle"


def window_length(length: timedelta) -> str:
    """'30 days', '2.5 days', or '9 h' below two days."""
    days = length / timedelta(days=1)
    return f"{days:.3g} days" if days >= 2 else duration(length)


def history_files(
    history: History, camera: str, zone: ZoneInfo, directory: Path, *, csv: bool
) -> tuple[Attachment, Attachment | None]:
    """The chart, and the CSV when asked, written to `directory` (blocking: use a thread)."""
    # matplotlib loads in ~0.5 s: only when someone asks for a chart, never at start-up.
    from bot.occupancy.chart import render_chart, write_csv

    stem = (
        f"occupancy_{history.serial.lower()}_{history.start:%Y%m%dT%H%M}Z_"
        f"{history.end:%Y%m%dT%H%M}Z_{secrets.token_hex(3)}"
    )
    png = render_chart(history, camera, zone, directory / f"{stem}.png")
    chart = Attachment(png, "image", "image/png", png.name)
    if not csv:
        return chart, None
    path = write_csv(history, zone, directory / f"{stem}.csv")
    return chart, Attachment(path, "file", "text/csv", path.name)


def plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def freshness(view: LiveView, zone: ZoneInfo, now: datetime) -> str:
    """'As of 14:32:05 CET, 2 s ago, live (MQTT)', or which REST answer and why."""
    age = now - view.at
    ago = "just now" if age < timedelta(seconds=1) else f"{duration(age)} ago"
    head = f"As of {view.at.astimezone(zone):%H:%M:%S %Z}, {ago}"
    if view.source == "mqtt":
        return f"{head}, live (MQTT)"
    if not view.mqtt_configured:
        why = "MQTT is not configured"
    elif view.last_mqtt is None:
        why = "no MQTT message has come from this camera"
    else:
        quiet = duration(max(timedelta(0), now - view.last_mqtt))
        why = f"MQTT has been quiet for this camera for {quiet}"
    return f"{head}, from the Dashboard API — {why}"


def live_reply(
    record: CameraRecord, view: LiveView, zone: ZoneInfo, now: datetime, only: str | None = None
) -> Reply:
    zones = [z for z in view.zones if only is None or z.region.id == only]
    vehicles = any(z.counts.get(VEHICLE, 0) for z in zones)
    if only is not None and zones:
        subject, people = f"*{record.name}* · {zones[0].region.name}", zones[0].people
    else:
        subject, people = f"*{record.name}*", view.people
    text = f"{subject}: *{plural(people, 'person', 'people')}* in view"
    if vehicles:
        count = zones[0].counts.get(VEHICLE, 0) if only else view.count(VEHICLE)
        text += f", {plural(count, 'vehicle', 'vehicles')}"
    header = ("Zone", "People", *(("Vehicles",) if vehicles else ()))
    rows = [
        (z.region.name, str(z.people), *((str(z.counts.get(VEHICLE, 0)),) if vehicles else ()))
        for z in zones
    ]
    return Reply(
        title=f"{record.name} — occupancy now",
        text=text,
        table=(header, *rows),
        context=(freshness(view, zone, now), f"UTC {iso_utc(view.at, precise=True)}"),
        buttons=(Button("Today", f"occupancy {record.serial} today"),),
    )


def all_reply(rows: Sequence[tuple[CameraRecord, LiveView | None, str]], now: datetime) -> Reply:
    """`occupancy all`: one line per Sense camera, busiest first; a failed camera says why."""
    table = [("Camera", "People", "Busiest zone", "As of", "Source")]
    for record, view, problem in rows:
        if view is None:
            table.append((record.name, "–", problem, "", ""))
            continue
        named = [z for z in view.zones if z.region.id != FULL_FRAME] or list(view.zones)
        busiest = max(named, key=lambda z: z.people, default=None)
        age = duration(max(timedelta(0), now - view.at))
        table.append(
            (
                record.name,
                str(view.people),
                f"{busiest.region.name} ({busiest.people})" if busiest and busiest.people else "–",
                f"{age} ago",
                "MQTT" if view.source == "mqtt" else "REST",
            )
        )
    total = sum(v.people for _, v, _ in rows if v is not None)
    cameras = plural(len(rows), "Sense camera", "Sense cameras")
    text = f"{cameras}, {plural(total, 'person', 'people')} in view"
    return Reply(title="Occupancy now", text=text, table=tuple(table))


def history_reply(
    record: CameraRecord, history: History, zone: ZoneInfo, chart: Attachment | None
) -> Reply:
    span = local_span(history.start, history.end, zone)
    lines: list[tuple[str, ...]] = []
    fields: list[Field] = []
    if history.zones:
        lines.append(("Zone", "Average", "Peak", "Entrances"))
        for z in history.zones:
            peak = z.peak
            at = f" at {peak.start.astimezone(zone):%H:%M}" if peak and peak.average > 0 else ""
            lines.append(
                (
                    z.region.name,
                    f"{z.average:.1f}",
                    f"{peak.average if peak else 0:.1f}{at}",
                    str(z.entrances),
                )
            )
    boundary_rows = [
        (f"{b.region.name} ({b.region.kind})", f"in {b.entered} · out {b.exited}")
        for b in history.boundaries
    ]
    if lines:
        fields = [Field(name, value) for name, value in boundary_rows]
    else:
        lines = [("Area or line", "In", "Out")]
        lines += [
            (f"{b.region.name} ({b.region.kind})", str(b.entered), str(b.exited))
            for b in history.boundaries
        ]
    busiest = max(history.zones, key=lambda z: z.peak.average if z.peak else 0.0, default=None)
    if busiest is not None and busiest.peak is not None:
        summary = (
            f"*{record.name}* {span}: peak *{busiest.peak.average:.1f}* people "
            f"({busiest.region.name}), {plural(busiest.entrances, 'entrance', 'entrances')}"
        )
    else:
        crossings = sum(b.entered for b in history.boundaries)
        summary = f"*{record.name}* {span}: {plural(crossings, 'crossing in', 'crossings in')}"
    sources = [
        name
        for name, present in (
            ("zone analytics per minute", history.zones),
            ("areas and lines (boundaries API)", history.boundaries),
        )
        if present
    ]
    return Reply(
        title=f"{record.name} — occupancy",
        text=summary,
        table=tuple(lines),
        fields=tuple(fields),
        context=(f"Times in {zone.key}. From {' and '.join(sources)}.",),
        attachment=chart,
    )


def alert_text(rule: AlertRule, hysteresis: float) -> str:
    again = rearms_at(rule.threshold, hysteresis)
    state = "armed" if rule.armed else f"fired, re-arms at {again} or fewer"
    hours = f", {rule.hours.text}" if rule.hours else ""
    return f"#{rule.id} *{rule.camera}* · {rule.zone_name} above {rule.threshold}{hours} ({state})"


def alerts_reply(rules: Sequence[AlertRule], hysteresis: float) -> Reply:
    if not rules:
        return Reply(
            "No occupancy alerts in this room. Add one with `occupancy alert warehouse above 20`."
        )
    lines = [f"• {alert_text(rule, hysteresis)}" for rule in rules]
    return Reply("\n".join(["Occupancy alerts here:", *lines]), title="Occupancy alerts")
