"""A Reply's buttons as an Adaptive Card 1.3, and a pressed button back to its command."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from adapters.spans import defang
from adapters.webex.markdown import code, escape
from bot.messages import Reply

CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
CARD_VERSION = "1.3"  # the newest version Webex clients render
COMMAND_KEY = "command"  # Action.Submit data → the attachment action's `inputs`


def buttons_card(reply: Reply) -> dict[str, Any]:
    """The attachment for `messages.create`: one Action.Submit per button, carrying its command."""
    actions: list[dict[str, Any]] = []
    for button in reply.buttons:
        action: dict[str, Any] = {
            "type": "Action.Submit",
            "title": button.label,
            "data": {COMMAND_KEY: button.command},
        }
        if button.danger:
            action["style"] = "destructive"
        actions.append(action)
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
    commands = " · ".join(f"{escape(b.label)}: `{code(b.command)}`" for b in reply.buttons)
    return f"Next: {commands}"


def command_of(inputs: Mapping[str, Any]) -> str | None:
    """The command a pressed button carries, or None for a card that is not ours."""
    command = inputs.get(COMMAND_KEY)
    if isinstance(command, str) and command.strip():
        return command.strip()
    return None
