"""What the incident commands and jobs say: started, ready, one incident, the room's list."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.grammar.formatting import duration, local_span, local_time, size, utc_span
from bot.incidents.incident import Incident
from bot.messages import Field, Hyperlink, Reply, Tone, literal

UTC_ZONE = ZoneInfo("UTC")


def zone_of(incident: Incident) -> ZoneInfo:
    try:
        return ZoneInfo(incident.time_zone)
    except (KeyError, ValueError):
        return UTC_ZONE


def headline(incident: Incident) -> str:
    """'*Incident 12* “forklift collision”, Tue 24 Nov 14:30:00–14:35:00 EST (5 min)'."""
    span = local_span(incident.start, incident.end, zone_of(incident))
    note = f" “{literal(incident.note)}”" if incident.note else ""
    return f"*Incident {incident.id}*{note}, {span} ({duration(incident.end - incident.start)})"


def started_reply(incident: Incident, ready_at: datetime, now: datetime) -> Reply:
    names = ", ".join(f"*{literal(c.name)}*" for c in incident.cameras)
    when = (
        f"at about {local_time(ready_at, zone_of(incident), date=False)}"
        if ready_at > now
        else "now"
    )
    text = (
        f"{headline(incident)} is stored: {names}. I'm collecting the clips {when} and will "
        "post the timeline and the evidence package here."
    )
    return Reply(text, tone=Tone.PENDING, title=f"Incident {incident.id}")


def camera_table(incident: Incident) -> tuple[tuple[str, ...], ...]:
    """Camera, serial, size and checksum per row (or why there is no file)."""
    table: list[tuple[str, ...]] = [("Camera", "Serial", "Size", "SHA-256")]
    for camera in incident.cameras:
        if camera.sha256 is not None and camera.size is not None:
            table.append((camera.name, camera.serial, size(camera.size), camera.sha256))
        else:
            state = "collecting" if camera.pending else "not delivered"
            table.append((camera.name, camera.serial, "—", state))
    return tuple(table)


def incident_reply(
    incident: Incident,
    links: Sequence[Hyperlink],
    events: int | None = None,
    dashboard: Sequence[Hyperlink] = (),
) -> Reply:
    """An incident as it stands: cameras and files, the package's checksums and its links;
    `dashboard` opens each camera in the Meraki dashboard (dashboard-user rooms only)."""
    delivered = sum(1 for c in incident.cameras if c.file is not None)
    lines = [f"{headline(incident)}."]
    lines.append(f"{delivered} of {len(incident.cameras)} cameras' clips are in the package.")
    if events is not None:
        lines.append(f"{events} stored event{'s' if events != 1 else ''} marked on the timeline.")
    fields = [
        Field("UTC", utc_span(incident.start, incident.end)),
        Field("Asked by", incident.asker_label),
    ]
    if incident.manifest_sha256:
        fields.append(Field("Manifest SHA-256", incident.manifest_sha256))
    if incident.package_sha256:
        fields.append(Field("ZIP SHA-256", incident.package_sha256))
    notes = tuple(f"{c.name}: {c.problem}" for c in incident.cameras if c.problem)
    if incident.revoked_at is not None:
        notes += ("The timeline link was revoked.",)
        links = ()
    else:
        until = local_time(incident.link_expires_at, zone_of(incident))
        notes += (f"The links work until {until}; `incident {incident.id} revoke` ends them.",)
    missing = delivered < len(incident.cameras)
    tone = Tone.PENDING if incident.status == "collecting" else Tone.SUCCESS
    if incident.status != "collecting" and missing:
        tone = Tone.WARNING
    return Reply(
        "\n".join(lines),
        tone=tone,
        title=f"Incident {incident.id}",
        fields=tuple(fields),
        table=camera_table(incident),
        context=notes,
        links=tuple(links),
        link_buttons=tuple(dashboard),
    )


def list_reply(incidents: Sequence[Incident], cameras: Mapping[int, int]) -> Reply:
    if not incidents:
        return Reply(
            "No incidents in this room yet — try "
            '`incident lobby, warehouse 14:30 5m "what happened"`.'
        )
    table: list[tuple[str, ...]] = [("#", "Note", "Span", "Cameras", "Asked by", "Status")]
    for incident in incidents:
        span = local_span(incident.start, incident.end, zone_of(incident))
        status = "revoked" if incident.revoked_at is not None else incident.status
        table.append(
            (
                str(incident.id),
                incident.note or "—",
                span,
                str(cameras.get(incident.id, 0)),
                incident.asker_label,
                status,
            )
        )
    return Reply(
        f"{len(incidents)} incident{'s' if len(incidents) != 1 else ''} in this room, newest "
        "first. `incident <number>` shows one.",
        title="Incidents",
        table=tuple(table),
    )
