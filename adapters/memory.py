"""An in-memory adapter: the real core behind a recorder, for scenario tests and `demo --once`."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from bot.messages import Message, Person, Place, Reply, SentMessage
from bot.outbox import Core
from bot.runner import Delivery


@dataclass(frozen=True)
class Posted:
    place: Place
    reply: Reply
    edit_of: str | None = None  # the id of the message this one replaced
    answering: Message | None = None  # the command it answers (None: deferred work)
    key: str | None = None  # an automatic post's idempotency key
    id: str = ""


class MemoryAdapter:
    """Keeps every reply; tests wait on `wait_for` instead of sleeping."""

    def __init__(self, platform: str = "memory", members: set[str] | None = None) -> None:
        self.platform = platform
        self._core: Core | None = None
        self.posted: list[Posted] = []
        # E-mails of the workspace's members, whom `send_direct` can reach.
        self.members = {email.lower() for email in members or set()}
        self.direct: list[tuple[str, Reply]] = []
        self._ids = itertools.count(1)
        self._changed = asyncio.Condition()

    async def start(self, core: Core) -> None:
        self._core = core

    async def stop(self) -> None:
        return None

    def message(
        self, text: str, *, user: str = "U1", email: str | None = None, room: str = "R1"
    ) -> Message:
        return Message(text, Person(self.platform, user, email=email), Place(self.platform, room))

    async def ask(self, text: str, **who: str) -> list[Reply]:
        """Run `text` as a command, as `who` (user, email, room), and return the replies to it."""
        if self._core is None:
            raise RuntimeError("the adapter has not been started")
        before = len(self.posted)
        message = self.message(text, **who)
        task = self._core.submit(Delivery.of(message))
        if task is None:
            raise RuntimeError("the bot is stopping")
        await task
        return [p.reply for p in self.posted[before:]]

    async def send(
        self,
        place: Place,
        reply: Reply,
        *,
        answering: Message | None = None,
        key: str | None = None,
    ) -> SentMessage:
        sent = SentMessage(place, str(next(self._ids)))
        await self._record(Posted(place, reply, answering=answering, key=key, id=sent.id))
        return sent

    async def find(self, place: Place, key: str, since: datetime) -> SentMessage | None:
        """The post with `key` in `place` (bot.outbox.PostFinder): this adapter is the platform."""
        for posted in self.posted:
            if posted.key == key and posted.place == place:
                return SentMessage(place, posted.id)
        return None

    async def update(
        self, sent: SentMessage, reply: Reply, *, answering: Message | None = None
    ) -> None:
        await self._record(Posted(sent.place, reply, edit_of=sent.id, answering=answering))

    async def send_direct(self, email: str, reply: Reply) -> bool:
        if email.lower() not in self.members:
            return False
        self.direct.append((email.lower(), reply))
        return True

    async def _record(self, posted: Posted) -> None:
        async with self._changed:
            self.posted.append(posted)
            self._changed.notify_all()

    @property
    def replies(self) -> list[Reply]:
        return [p.reply for p in self.posted]

    async def wait_for(self, match: Callable[[Reply], bool], timeout: float) -> Reply:  # noqa: ASYNC109
        """The first reply (already posted or yet to come) that `match` accepts."""

        def found() -> Reply | None:
            return next((r for r in self.replies if match(r)), None)

        async with asyncio.timeout(timeout), self._changed:
            await self._changed.wait_for(lambda: found() is not None)
        reply = found()
        assert reply is not None
        return reply
