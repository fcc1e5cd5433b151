"""Handing a new link to its recipient: by e-mail when SMTP is configured, and by direct
message when the chat platform knows the address. Never in a shared room."""

from __future__ import annotations

import html
import logging
from dataclasses import dataclass, field

from bot.grammar.formatting import iso_utc
from bot.messages import Hyperlink, Reply, literal
from bot.outbox import Outbox
from bot.shares.mail import Email, Mailer, MailError
from bot.shares.model import NewLink

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LinkDelivery:
    """How a new share link reached its recipient (bot.runner.Delivery is a command's)."""

    emailed: bool = False
    messaged: bool = False
    problems: tuple[str, ...] = field(default=())


async def deliver(
    new: NewLink, *, sharer: str, mailer: Mailer | None, outbox: Outbox, platform: str
) -> LinkDelivery:
    problems: list[str] = []
    emailed = False
    if mailer is not None:
        try:
            await mailer.send(link_email(new, sharer))
            emailed = True
        except MailError as error:
            log.warning("share e-mail failed error=%s", error)
            problems.append(f"The e-mail to {new.email} failed: {error}.")
    try:
        messaged = await outbox.send_direct(platform, new.email, link_message(new, sharer))
    except Exception:
        log.exception("direct message with a share link failed")
        messaged = False
    return LinkDelivery(emailed, messaged, tuple(problems))


def _cameras(new: NewLink) -> str:
    return ", ".join(s.camera.name for s in new.shares)


def link_message(new: NewLink, sharer: str) -> Reply:
    sharer = literal(sharer)
    lines = [
        f"{sharer} shared a live camera stream with you: *{literal(_cameras(new))}*.",
        f"Watch it here: {new.url}",
        f"The link works until {iso_utc(new.expires_at)} unless it is revoked.",
    ]
    if new.pin:
        lines.append(f"It asks for a PIN, which {sharer} will give you.")
    link = Hyperlink("Watch the live stream", new.url)
    return Reply("\n".join(lines), title="Live camera stream", private=True, links=(link,))


def link_email(new: NewLink, sharer: str) -> Email:
    cameras = _cameras(new)
    reason = next((s.reason for s in new.added if s.reason), None)
    where = [(s.camera.name, s.camera.network_name or s.camera.org_name) for s in new.shares]
    facts = [f"- {name} ({place})" for name, place in where]
    pin = (
        f"Opening it asks for a PIN, which {sharer} will give you separately.\n" if new.pin else ""
    )
    text = (
        f"{sharer} shared a live camera stream with you"
        + (f" ({reason})" if reason else "")
        + ".\n\n"
        + "\n".join(facts)
        + f"\n\nView live stream: {new.url}\n\n"
        f"The link works until {iso_utc(new.expires_at)}, unless it is extended or revoked "
        f"before then. It shows every camera currently shared with {new.email}.\n{pin}"
    )
    items = "".join(f"<li>{html.escape(name)} ({html.escape(place)})</li>" for name, place in where)
    body = (
        f"<p>{html.escape(sharer)} shared a live camera stream with you"
        + (f" ({html.escape(reason)})" if reason else "")
        + f".</p><ul>{items}</ul>"
        f'<p><a href="{html.escape(new.url)}">View live stream</a></p>'
        f"<p>The link works until {iso_utc(new.expires_at)}, unless it is extended or revoked "
        f"before then.</p>" + (f"<p>{html.escape(pin)}</p>" if pin else "")
    )
    return Email(new.email, f"Live camera stream - {cameras}", text, body)
