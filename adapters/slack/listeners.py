"""Bolt listeners: acknowledge at once, then run each command in a task of its own."""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext

from adapters.slack.asker import Askers
from adapters.slack.blocks import escape
from adapters.slack.inbound import (
    Incoming,
    RecentIds,
    from_actions,
    from_command,
    from_direct,
    from_mention,
)
from adapters.slack.manifest import ACTION_PREFIX
from adapters.slack.people import People
from bot.outbox import Core

log = logging.getLogger(__name__)

# Slack drops a slash command that is not answered within 3 s; the acknowledgement must
# leave with time to spare for the round trip, whatever the core or users.info are doing.
ACK_BUDGET = 2.0
PERSON_WAIT = 0.8  # of ACK_BUDGET: who asks matters to the preview (their role)
STARTING = "mvbot is starting — try again in a moment."


class Listeners:
    """What bolt calls for each kind of request; the core is handed over by `start`."""

    def __init__(self, people: People, askers: Askers) -> None:
        self.core: Core | None = None
        self._people = people
        self._askers = askers
        self._recent = RecentIds()
        self._tasks: set[asyncio.Task[None]] = set()

    def register(self, app: AsyncApp) -> None:
        # Any slash command of this app: a workspace may rename /mv if the name is taken.
        app.command(re.compile(r"^/"))(self.on_command)
        app.event("app_mention")(self.on_mention)
        app.event("message")(self.on_message)
        app.action(re.compile(f"^{re.escape(ACTION_PREFIX)}"))(self.on_action)

    async def on_command(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        incoming = from_command(body)
        if self.core is None:
            await ack(text=STARTING)
            return
        await ack(text=await self._preview(self.core, incoming), response_type="ephemeral")
        self._spawn(self.core, incoming)

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
                self._spawn(self.core, incoming)

    def _accept(self, body: dict[str, Any], incoming: Incoming | None) -> None:
        if incoming is None or self.core is None:
            return
        if self._recent.first_time(body.get("event_id")):
            self._spawn(self.core, incoming)

    async def _preview(self, core: Core, incoming: Incoming) -> str:
        try:
            async with asyncio.timeout(ACK_BUDGET):
                person = await self._people.person_within(incoming.user_id, PERSON_WAIT)
                return escape(await core.preview(incoming.message(person)))
        except TimeoutError:
            return f"Working on `{escape(incoming.text)}`…"

    def _spawn(self, core: Core, incoming: Incoming) -> None:
        task = asyncio.create_task(self._run(core, incoming))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, core: Core, incoming: Incoming) -> None:
        with self._askers.asking(incoming.asker()):
            try:
                person = await self._people.person(incoming.user_id)
                await core.handle(incoming.message(person))
            except Exception:  # the core answers its own errors; this is a failed answer
                log.exception("slack command failed user=%s", incoming.user_id)

    async def stop(self, grace: float) -> None:
        """Let running commands finish for up to `grace` seconds, then cancel the rest
        (a deferred clip is in the store and survives)."""
        if not self._tasks:
            return
        _, late = await asyncio.wait(set(self._tasks), timeout=grace)
        for task in late:
            task.cancel()
        if late:
            await asyncio.wait(late)

    async def idle(self) -> None:
        """Return once every command started so far has finished (answered and audited)."""
        while self._tasks:
            await asyncio.wait(set(self._tasks))
