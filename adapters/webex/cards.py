"""A Reply's buttons as an Adaptive Card 1.3, and a pressed button back to its command."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from adapters.spans import defang
from adapters.walk import link_buttons
from adapters.webex.markdown import code, escape, link
from bot.messages import Reply

CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
CARD_VERSION = "1.3"  # the newest version Webex clients render
COMMAND_KEY = "command"  # Action.Submit data → the attachment action's `inputs`
POST_KEY = "mvbot_post"  # an automatic post's idempotency key, read back by `posted_key`


def buttons_card(reply: Reply, key: str | None = None) -> dict[str, Any]:
    """The attachment for `messages.create`: one Action.Submit per button, carrying its command
    (and `key`, which a listing of the room returns with the card)."""
    actions: list[dict[str, Any]] = []
    for button in reply.buttons:
        data = {COMMAND_KEY: button.command} | ({POST_KEY: key} if key is not None else {})
        action: dict[str, Any] = {
            "type": "Action.Submit",
            "title": button.label,
            "data": data,
        }
        if button.danger:
            action["style"] = "destructive"
        actions.append(action)
    # Opened by the client itself; Webex sends mvbot nothing when one is pressed.
    actions += [
        {"type": "Action.OpenUrl", "title": each.label, "url": each.url}
        for each in link_buttons(reply)
    ]
    card = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": CARD_VERSION,
        "body": [
            {
                "type": "TextBlock",
                "text": card_text(reply.title or "More"),
                "wrap": True,
                "isSubtle": True,
                "size": "Small",
            }
        ],
        "actions": actions,
    }
    return {"contentType": CARD_CONTENT_TYPE, "content": card}


def card_text(text: str) -> str:
    """Text for a card's TextBlock, whose markdown links `[label](url)`: no address and no
    link syntax survive (a zero-width space parts `]` from `(`)."""
    return defang(text).replace("](", "]\u200b(")


def card_fallback(reply: Reply) -> str:
    """What clients that cannot show cards display instead: the commands to type."""
    commands = [f"{escape(b.label)}: `{code(b.command)}`" for b in reply.buttons]
    commands += [link(each) for each in link_buttons(reply)]
    return f"Next: {' · '.join(commands)}"


def has_card(reply: Reply) -> bool:
    """Whether the reply has buttons of any kind, which a card carries."""
    return bool(reply.buttons or link_buttons(reply))


def command_of(inputs: Mapping[str, Any]) -> str | None:
    """The command a pressed button carries, or None for a card that is not ours."""
    command = inputs.get(COMMAND_KEY)
    if isinstance(command, str) and command.strip():
        return command.strip()
    return None


def posted_key(message: Mapping[str, Any]) -> str | None:
    """The idempotency key a listed message's card carries, if it is one of ours."""
    for attachment in message.get("attachments") or ():
        content = attachment.get("content") if isinstance(attachment, Mapping) else None
        for action in (content or {}).get("actions") or ():
            data = action.get("data") if isinstance(action, Mapping) else None
            if isinstance(data, Mapping) and isinstance(data.get(POST_KEY), str):
                return str(data[POST_KEY])
    return None
