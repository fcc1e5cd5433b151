"""The command runner: every platform's commands run, are deduplicated and stopped here."""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from bot.messages import Message
from bot.store import Outcome

log = logging.getLogger(__name__)

# Seconds running commands get to finish when the bot stops, on every platform; a deferred
# clip is in the store by then and survives the restart.
STOP_GRACE = 10.0
# Deliveries remembered for spotting repeats: platforms redeliver within minutes, and a
# thousand commands is far more than a few minutes of traffic.
REMEMBERED = 1000


@dataclass(frozen=True)
class Delivery:
    """A command as a platform delivered it, before it is read.

    `id` spots a repeat delivery of the same command (None: never taken for a repeat);
    `read` turns it into the Message to run, or None when there is nothing to run. It
    runs inside the command's task, so slow reading (Webex fetches the message, Slack
    looks up the person) holds up neither the platform's request nor other commands.
    """

    platform: str
    id: str | None
    read: Callable[[], Awaitable[Message | None]]

    @classmethod
    def of(cls, message: Message) -> Delivery:
        """A command the adapter already holds in full (the console, tests): never a repeat."""

        async def read() -> Message:
            return message

        return cls(message.place.platform, None, read)


class CommandHandler(Protocol):
    """What the runner runs commands with: the Bot, or a stand-in in tests."""

    async def handle(self, message: Message) -> Outcome: ...

    async def preview(self, message: Message) -> str: ...


class Runner:
    """Runs each submitted command in a task of its own and keeps track of them all.

    Adapters only translate and transport: they hand every command here (`submit`) and
    the runner owns the work from then on, so every platform drops repeats, stops and
    reports failures the same way.
    """

    def __init__(self, bot: CommandHandler, *, remember: int = REMEMBERED) -> None:
        self._bot = bot
        self._remember = remember
        self._seen: OrderedDict[tuple[str, str], None] = OrderedDict()
        self._tasks: set[asyncio.Task[Outcome | None]] = set()
        self._stopping = False

    @property
    def stopping(self) -> bool:
        """True once `stop` has begun: new deliveries are refused (a platform may retry)."""
        return self._stopping

    def submit(self, delivery: Delivery) -> asyncio.Task[Outcome | None] | None:
        """Start running `delivery`; None if it repeats a recent one or the runner is stopping."""
        if self._stopping or not self._first_time(delivery):
            return None
        task = asyncio.create_task(self._run(delivery))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def preview(self, message: Message) -> str:
        """The bot's one-line acknowledgement (see `Bot.preview`)."""
        return await self._bot.preview(message)

    async def idle(self) -> None:
        """Return once every command submitted so far has finished (answered and audited)."""
        while self._tasks:
            await asyncio.wait(set(self._tasks))

    async def stop(self, grace: float = STOP_GRACE) -> None:
        """Refuse new commands, let running ones finish for `grace` seconds, then cancel
        the rest and wait for them to unwind."""
        self._stopping = True
        if not self._tasks:
            return
        _, late = await asyncio.wait(set(self._tasks), timeout=grace)
        for task in late:
            task.cancel()
        if late:
            log.warning("commands cancelled at stop count=%d grace=%.0fs", len(late), grace)
            await asyncio.wait(late)

    def _first_time(self, delivery: Delivery) -> bool:
        if delivery.id is None:
            return True
        key = (delivery.platform, delivery.id)
        if key in self._seen:
            return False
        self._seen[key] = None
        if len(self._seen) > self._remember:
            self._seen.popitem(last=False)
        return True

    async def _run(self, delivery: Delivery) -> Outcome | None:
        try:
            message = await delivery.read()
            if message is None:
                return None
            return await self._bot.handle(message)
        except Exception:  # a task's failure must reach the log, not vanish with the task
            log.exception("command failed platform=%s delivery=%s", delivery.platform, delivery.id)
            return None
