"""The timeline page: every camera's player side by side, one scrubber, the events on it.

Everything a person or a device wrote (the note, camera names, event texts) is escaped in
the HTML and in the JSON the page embeds; the page runs no inline script (strict CSP).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from html import escape
from urllib.parse import quote
from zoneinfo import ZoneInfo

from bot.grammar.formatting import iso_utc, local_span, local_time, utc_span
from bot.incidents import Happening, Incident
from bot.incidents.summaries import zone_of
from bot.web.pages import html_document

STATIC = "/i/-"
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; media-src 'self'; "
    "connect-src 'self'; img-src 'self' data:; form-action 'none'; frame-ancestors 'none'; "
    "base-uri 'none'"
)


def _document(title: str, body: str) -> str:
    return html_document(title, body, f"{STATIC}/timeline.css")


def message_page(text: str) -> str:
    return _document("mvbot incident", f'<main class="message"><p>{escape(text)}</p></main>')


def timeline_page(token: str, incident: Incident, events: Sequence[Happening]) -> str:
    zone = zone_of(incident)
    base = f"/i/{quote(token)}"
    length = (incident.end - incident.start).total_seconds()
    title = f"Incident {incident.id}" + (f" — {incident.note}" if incident.note else "")
    players = "".join(
        '<figure class="camera">'
        f'<video class="player" data-serial="{escape(c.serial)}" '
        f'src="{base}/files/{quote(c.file)}" muted playsinline preload="auto"></video>'
        f'<figcaption>{escape(c.name)} <span class="serial">{escape(c.serial)}</span>'
        "</figcaption></figure>"
        for c in incident.cameras
        if c.file is not None
    )
    missing = "".join(
        f"<li>{escape(c.name)}: {escape(c.problem or 'still collecting')}</li>"
        for c in incident.cameras
        if c.file is None
    )
    listed = "".join(
        f'<li><button type="button" class="event event-{escape(e.kind)}" '
        f'data-offset="{_offset(incident, e.at):.3f}">'
        f'<time datetime="{iso_utc(e.at, precise=True)}">{_clock(e.at, zone)}</time> '
        f"<b>{escape(e.camera)}</b> {escape(e.text)}</button></li>"
        for e in events
    )
    package = ""
    if incident.package:
        package = (
            f'<p class="package"><a href="{base}/evidence.zip" download>Evidence package (ZIP)</a>'
            f" · manifest SHA-256 <code>{escape(incident.manifest_sha256 or '')}</code></p>"
        )
    data = {
        "start": int(incident.start.timestamp() * 1000),
        "length": length,
        "zone": incident.time_zone,
        "cameras": [
            {"name": c.name, "serial": c.serial} for c in incident.cameras if c.file is not None
        ],
        "events": [
            {
                "offset": round(_offset(incident, e.at), 3),
                "at": iso_utc(e.at, precise=True),
                "kind": e.kind,
                "camera": e.camera,
                "text": e.text,
            }
            for e in events
        ],
    }
    body = (
        f'<header><p class="where">Incident {incident.id} · asked by '
        f"{escape(incident.asker_label)} on {escape(local_time(incident.created_at, zone))}</p>"
        f"<h1>{escape(title)}</h1>"
        f'<p class="span">{escape(local_span(incident.start, incident.end, zone))} · '
        f"{escape(utc_span(incident.start, incident.end))}</p>"
        f'<p class="expiry">Link valid until {escape(local_time(incident.link_expires_at, zone))}'
        "</p></header>"
        f'<main><div class="grid">{players}</div>'
        + (f'<ul class="missing">{missing}</ul>' if missing else "")
        + '<div class="controls"><button id="play" type="button">Play</button> '
        '<output id="clock" class="clock"></output></div>'
        '<div class="axis"><div id="marks" class="marks"></div>'
        f'<input id="scrubber" type="range" min="0" max="{length:.3f}" step="0.04" value="0" '
        'aria-label="Time in the incident"></div>'
        f'<h2>Events</h2><ol class="events">{listed or "<li>None stored.</li>"}</ol>'
        f"{package}</main>"
        '<script type="application/json" id="timeline-data">'
        f"{json_for_html(data)}</script>"
        f'<script src="{STATIC}/timeline.js"></script>'
    )
    return _document(title, body)


def _offset(incident: Incident, at: datetime) -> float:
    return max(0.0, (at - incident.start).total_seconds())


def _clock(at: datetime, zone: ZoneInfo) -> str:
    return escape(local_time(at, zone, date=False))


def json_for_html(value: object) -> str:
    # "</script>" or "<!--" inside a JSON string would end or bend the block.
    return (
        json.dumps(value, ensure_ascii=False)
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
    )
