"""The HTML skeleton mvbot's own pages share (share viewer, incident timeline): no referrer,
no indexing, one stylesheet of its own, everything a person wrote escaped by the caller."""

from __future__ import annotations

from html import escape


def html_document(title: str, body: str, stylesheet: str) -> str:
    """A whole page around `body` (markup already escaped) with `stylesheet` (a URL path)."""
    return (
        "<!doctype html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="referrer" content="no-referrer">'
        '<meta name="robots" content="noindex, nofollow">'
        f"<title>{escape(title)}</title>"
        f'<link rel="stylesheet" href="{escape(stylesheet)}"></head>'
        f"<body>{body}</body></html>\n"
    )
