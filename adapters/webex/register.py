"""`mvbot webex register`: point the bot's two webhooks at mvbot, creating or updating them.

Idempotent: for each (resource, event) the bot needs, the first unfiltered webhook is
updated (target URL, secret, name, re-activated) and any others are deleted, since each
would deliver every event again (or, filtered to one space, hide the rest); only a
missing one is created. Webhooks for other
resources are left alone.
"""

from __future__ import annotations

import logging

from adapters.webex.client import Json, WebexClient
from adapters.webex.transport import PATH
from bot.config import WebexSettings

log = logging.getLogger(__name__)

WEBHOOKS = (
    ("messages", "created", "mvbot messages"),
    ("attachmentActions", "created", "mvbot card actions"),
)


def target_url(public_url: str) -> str:
    return public_url.rstrip("/") + PATH


async def register_webhooks(settings: WebexSettings, public_url: str) -> list[str]:
    """The ids of the two webhooks, which now deliver to `<public_url>/webex/events`."""
    if settings.bot_token is None or settings.webhook_secret is None:
        raise ValueError(
            "registering webhooks needs MVBOT_WEBEX_BOT_TOKEN and MVBOT_WEBEX_WEBHOOK_SECRET"
        )
    if not public_url.startswith(("https://", "http://")):
        raise ValueError(f"{public_url!r} is not an http(s) URL")
    client = WebexClient(settings.bot_token.get_secret_value(), settings.api_url)
    try:
        return await _register(
            client, target_url(public_url), settings.webhook_secret.get_secret_value()
        )
    finally:
        await client.aclose()


async def _register(client: WebexClient, target: str, secret: str) -> list[str]:
    existing = await client.webhooks()
    ids: list[str] = []
    for resource, event, name in WEBHOOKS:
        fields = {"name": name, "targetUrl": target, "secret": secret}
        matching: list[Json] = [
            hook
            for hook in existing
            if hook.get("resource") == resource and hook.get("event") == event
        ]
        # A filtered webhook (one room, say) would hide every other space from the bot.
        keep = next((hook for hook in matching if not hook.get("filter")), None)
        for duplicate in matching:
            if duplicate is not keep:
                await client.delete_webhook(str(duplicate["id"]))
                log.info("webex webhook duplicate deleted id=%s", duplicate["id"])
        if keep is not None:
            hook = await client.update_webhook(str(keep["id"]), {**fields, "status": "active"})
            log.info("webex webhook updated id=%s resource=%s", hook["id"], resource)
        else:
            hook = await client.create_webhook({**fields, "resource": resource, "event": event})
            log.info("webex webhook created id=%s resource=%s", hook["id"], resource)
        ids.append(str(hook["id"]))
    return ids
