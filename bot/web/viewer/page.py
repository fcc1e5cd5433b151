"""The viewer's HTML: the stream page, its PIN form and the messages for refused links.

No inline script or style: the page's Content-Security-Policy allows only mvbot's own
files, and the player reads its settings from a JSON block.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from html import escape
from urllib.parse import quote

from bot.grammar.formatting import iso_utc
from bot.shares.model import Share
from bot.web.pages import html_document

STATIC = "/s/-"
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; media-src 'self' blob:; "
    "connect-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'"
)


def _document(title: str, body: str) -> str:
    return html_document(title, body, f"{STATIC}/viewer.css")


def message_page(text: str) -> str:
    return _document("mvbot live stream", f'<main class="message"><p>{escape(text)}</p></main>')


def pin_page(token: str, error: str | None = None) -> str:
    problem = f'<p class="error" role="alert">{escape(error)}</p>' if error else ""
    body = (
        '<main class="message"><h1>This stream needs a PIN</h1>'
        "<p>The person who shared it has the PIN.</p>"
        f'{problem}<form method="post" action="/s/{quote(token)}">'
        '<label>PIN <input name="pin" inputmode="numeric" autocomplete="one-time-code" '
        'maxlength="12" required autofocus></label> <button type="submit">Open</button>'
        "</form></main>"
    )
    return _document("PIN needed — mvbot live stream", body)


def stream_page(
    token: str,
    share: Share,
    shares: Sequence[Share],
    *,
    proof: str | None,
    segment_length: float,
) -> str:
    """The page for one camera: what it is and where, until when, the switcher, the player."""
    camera = share.camera
    base = f"/s/{quote(token)}"
    key = f"?k={quote(proof)}" if proof else ""
    playlist = f"{base}/{quote(camera.serial)}.m3u8{key}"
    config = {
        "live": f"{base}/{quote(camera.serial)}/live.json",
        "playlist": playlist,
        "length": segment_length,
    }
    switcher = "".join(
        f'<li><a href="{base}?camera={quote(s.serial)}"'
        + (' aria-current="page"' if s.serial == camera.serial else "")
        + f">{escape(s.camera.name)}</a></li>"
        for s in shares
    )
    where = " · ".join(escape(part) for part in (camera.org_name, camera.network_name) if part)
    address = f'<p class="address">{escape(camera.address)}</p>' if camera.address else ""
    body = (
        f'<header><p class="where">{where}</p>'
        f'<nav aria-label="Cameras"><ul class="cameras">{switcher}</ul></nav>'
        f"<h1>{escape(camera.name)}</h1>{address}"
        f'<p class="expiry">Link valid until {_time(share.expires_at)}</p></header>'
        '<main><video id="player" muted autoplay playsinline controls></video>'
        '<p id="status" class="status" role="status">Starting the stream…</p>'
        '<p class="hls">In VLC or Safari, open '
        f'<a href="{escape(playlist)}">this playlist</a>.</p></main>'
        '<script type="application/json" id="viewer-config">'
        f"{_json_for_html(config)}</script>"
        f'<script src="{STATIC}/player.js"></script>'
    )
    return _document(f"{camera.name} — live", body)


def _time(moment: datetime) -> str:
    # The player rewrites it in the viewer's own time zone.
    return f'<time datetime="{iso_utc(moment)}">{iso_utc(moment).replace("T", " ")}</time>'


def _json_for_html(value: object) -> str:
    # "</script>" inside a JSON string would end the block early.
    return json.dumps(value).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
