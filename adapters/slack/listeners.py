"""Bolt listeners: store each command with the core's runner, then acknowledge it.

Every request is stored (`Core.accept`) before Slack hears back, under a key Slack cannot
repeat for another command, so a redelivery or a replay runs nothing:

- a slash command: its `trigger_id`, which the request signature covers, in HTTP mode and
  Socket Mode alike; a replay of the signed body within its five minutes carries the same
  one and is answered 200 with an empty body, as for a command already handled;
- an event (a mention, a direct message): its `event_id`, which Slack's retries keep;
- a button press: the presser and the action's `action_ts`.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Mapping
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

log = logging.getLogger(__name__)

# Slack drops a slash command that is not answered within 3 s; the acknowledgement must
# leave with time to spare for the round trip, whatever the core or users.info are doing.
ACK_BUDGET = 2.0
PERSON_WAIT = 0.8  # of ACK_BUDGET: who asks matters to the preview (their role)
STARTING = "mvbot is starting — try again in a moment."
STOPPING = "mvbot is restarting — try again in a moment."
NOT_STORED = "mvbot could not take this command just now — try again in a moment."


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
        key = f"command:{incoming.id}" if incoming.id else None
        try:
            task = await core.accept(self._delivery(incoming, key))
        except Exception:
            log.exception("slash command not stored")
            await ack(text=NOT_STORED, response_type="ephemeral")
            return
        if task is None:
            await ack()  # a replay, or Slack's retry of one already running: nothing new
            return
        await ack(text=await self._preview(core, incoming), response_type="ephemeral")

    async def on_mention(
        self, ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        await self._accept(body, from_mention(body.get("event", {}), context.bot_user_id))
        await ack()

    async def on_message(
        self, ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        await self._accept(body, from_direct(body.get("event", {}), context.bot_user_id))
        await ack()

    async def on_action(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        if self.core is not None:
            for incoming in from_actions(body):
                key = f"action:{incoming.user_id}:{incoming.id}" if incoming.id else None
                await self.core.accept(self._delivery(incoming, key))
        await ack()

    def redelivery(self, key: str, raw: Mapping[str, Any]) -> Delivery:
        """A stored command, to be read again after a restart (bot.outbox.Redelivering)."""
        return self._delivery(Incoming.from_json(raw), key)

    async def _accept(self, body: dict[str, Any], incoming: Incoming | None) -> None:
        # Raising leaves the event unacknowledged: Slack delivers it again (same event_id).
        if incoming is None or self.core is None:
            return
        event_id = body.get("event_id")
        await self.core.accept(self._delivery(incoming, str(event_id) if event_id else None))

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

        return Delivery(PLATFORM, delivery_id, read, incoming.to_json())
