"""Bolt listeners: acknowledge at once, then hand each command to the core's runner."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext

from adapters.people import People
from adapters.slack.blocks import escape
from adapters.slack.inbound import (
    PLATFORM,
    Incoming,
    from_actions,
    from_command,
    from_direct,
    from_mention,
)
from adapters.slack.manifest import ACTION_PREFIX
from bot.messages import Message
from bot.outbox import Core
from bot.runner import Delivery

# Slack drops a slash command that is not answered within 3 s; the acknowledgement must
# leave with time to spare for the round trip, whatever the core or users.info are doing.
ACK_BUDGET = 2.0
PERSON_WAIT = 0.8  # of ACK_BUDGET: who asks matters to the preview (their role)
STARTING = "mvbot is starting — try again in a moment."
STOPPING = "mvbot is restarting — try again in a moment."


class Listeners:
    """What bolt calls for each kind of request; the core is handed over by `start`."""

    def __init__(self, people: People) -> None:
        self.core: Core | None = None
        self._people = people

    def register(self, app: AsyncApp) -> None:
        # Any slash command of this app: a workspace may rename /mv if the name is taken.
        app.command(re.compile(r"^/"))(self.on_command)
        app.event("app_mention")(self.on_mention)
        app.event("message")(self.on_message)
        app.action(re.compile(f"^{re.escape(ACTION_PREFIX)}"))(self.on_action)

    async def on_command(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        incoming = from_command(body)
        core = self.core
        if core is None or core.stopping:
            await ack(text=STARTING if core is None else STOPPING)
            return
        await ack(text=await self._preview(core, incoming), response_type="ephemeral")
        # Slash commands are not redelivered, so they carry no id to drop repeats by.
        core.submit(self._delivery(incoming, None))

    async def on_mention(
        self, ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        await ack()
        self._accept(body, from_mention(body.get("event", {}), context.bot_user_id))

    async def on_message(
        self, ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        await ack()
        self._accept(body, from_direct(body.get("event", {}), context.bot_user_id))

    async def on_action(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        if self.core is not None:
            for incoming in from_actions(body):
                self.core.submit(self._delivery(incoming, None))

    def _accept(self, body: dict[str, Any], incoming: Incoming | None) -> None:
        if incoming is None or self.core is None:
            return
        # Slack delivers an event again when it doubts the first delivery: same event_id.
        event_id = body.get("event_id")
        self.core.submit(self._delivery(incoming, str(event_id) if event_id else None))

    async def _preview(self, core: Core, incoming: Incoming) -> str:
        try:
            async with asyncio.timeout(ACK_BUDGET):
                person = await self._people.person_within(incoming.user_id, PERSON_WAIT)
                return escape(await core.preview(incoming.message(person)))
        except TimeoutError:
            return f"Working on `{escape(incoming.text)}`…"

    def _delivery(self, incoming: Incoming, delivery_id: str | None) -> Delivery:
        async def read() -> Message:
            return incoming.message(await self._people.person(incoming.user_id))

        return Delivery(PLATFORM, delivery_id, read)
