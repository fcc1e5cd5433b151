"""Where the core's replies go: the adapter interface and the router from a place to its adapter."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Mapping
from datetime import datetime, timedelta
from typing import Any, Protocol, runtime_checkable

from bot.messages import Message, Place, Reply, SentMessage
from bot.runner import Delivery
from bot.store import Outcome
from bot.store.posts import PostLedger

log = logging.getLogger(__name__)

# A platform's clock and ours may differ: a lookup starts this long before the intent.
CLOCK_SKEW = timedelta(minutes=2)


class Core(Protocol):
    """What an adapter may ask of the core (bot.runner.Runner)."""

    @property
    def stopping(self) -> bool:
        """True once the bot is shutting down: new commands are refused."""
        ...

    def submit(self, delivery: Delivery) -> asyncio.Task[Outcome | None] | None:
        """Run a command in a task the core owns; every answer goes out through the
        adapter's `send`/`update` with `answering` set to the command's Message. A repeated
        delivery runs nothing; None when the bot is stopping (or refuses the repeat at once)."""
        ...

    async def preview(self, message: Message) -> str:
        """A one-line, immediate acknowledgement ("Fetching Lobby 14:30–14:32…"), for
        platforms that must answer within seconds; it neither runs nor audits anything."""
        ...

    async def accept(self, delivery: Delivery) -> asyncio.Task[Outcome | None] | None:
        """Store the command, then run it like `submit`: acknowledge the platform only
        after this returns, so that nothing acknowledged is lost in a crash. None for a
        repeat (already stored: a redelivery or a replay) or when stopping; raises when it
        could not be stored (answer so that the platform retries)."""
        ...


class Adapter(Protocol):
    """A chat platform as the core sees it.

    `start` hands the adapter the core, which it calls for every command it receives
    from then on; the core calls back `send` and `update` to answer, now or later (a
    deferred clip, an alert), in the place the adapter named. `answering` is the command
    a reply answers (None for deferred work): who asked, for a private reply.
    """

    platform: str

    async def start(self, core: Core) -> None: ...

    async def stop(self) -> None: ...

    async def send(
        self,
        place: Place,
        reply: Reply,
        *,
        answering: Message | None = None,
        key: str | None = None,
    ) -> SentMessage:
        """Post `reply`; `key`, when given, is the post's idempotency key, which an adapter
        that can (`PostFinder`) leaves on the post where `find` can read it back."""
        ...

    async def update(
        self, sent: SentMessage, reply: Reply, *, answering: Message | None = None
    ) -> None: ...


@runtime_checkable
class DirectMessenger(Protocol):
    """An adapter that can message a workspace member found by e-mail (optional)."""

    async def send_direct(self, email: str, reply: Reply) -> bool:
        """Send `reply` to the member with this e-mail; False if the platform knows no such
        member."""
        ...


@runtime_checkable
class Redelivering(Protocol):
    """An adapter that can read a command it stored again after a restart (optional)."""

    def redelivery(self, key: str, raw: Mapping[str, Any]) -> Delivery | None:
        """The delivery `raw` (Delivery.raw) describes; None if it cannot be read."""
        ...


@runtime_checkable
class PostFinder(Protocol):
    """An adapter that can tell whether a post with an idempotency key exists (optional)."""

    async def find(self, place: Place, key: str, since: datetime) -> SentMessage | None:
        """The post carrying `key` in `place`, posted at or after `since`; None if there is
        none. Raises CannotLookUp where the platform will not say."""
        ...


@runtime_checkable
class FileReader(Protocol):
    """An adapter that can read a file someone posted with a command (optional)."""

    def read_file(self, ref: str) -> AsyncIterator[bytes]:
        """The file's bytes in chunks, as the platform serves them (SharedFile.ref)."""
        ...


class SharedTurns(Protocol):
    """Chat channel slots shared by the replicas of a fleet (bot.fleet.channel_turns)."""

    async def reserve(self, channel: str, interval: float) -> float:
        """Take the channel's next slot, `interval` seconds long; the seconds until it starts."""
        ...


@runtime_checkable
class PaceSharing(Protocol):
    """An adapter that paces its posts per channel and can keep that pace with other
    replicas (optional): given the fleet's slots, it takes them for every post."""

    def share_pace(self, turns: SharedTurns) -> None: ...


class FileUnreadable(Exception):
    """A posted file could not be read from its platform; `str()` is a sentence for the asker."""


class CannotLookUp(Exception):
    """The platform cannot tell whether a post exists here: the caller posts (at least once)."""


class NoAdapter(LookupError):
    """A reply was addressed to a platform that this process does not run."""


class Outbox:
    """Routes each reply to the adapter of its place's platform.

    A post with a `key` goes out at most once, and is not lost: the intent is stored
    before the post and the message after it; an intent found without its message (a
    crash, a timeout) is looked up on the platform before posting again.
    """

    def __init__(self, posts: PostLedger | None = None) -> None:
        self._adapters: dict[str, Adapter] = {}
        self._posts = posts

    def add(self, adapter: Adapter) -> None:
        if adapter.platform in self._adapters:
            raise ValueError(f"an adapter for {adapter.platform!r} is already registered")
        self._adapters[adapter.platform] = adapter

    def _adapter(self, platform: str) -> Adapter:
        try:
            return self._adapters[platform]
        except KeyError:
            raise NoAdapter(f"no adapter runs for platform {platform!r}") from None

    async def send(
        self,
        place: Place,
        reply: Reply,
        *,
        answering: Message | None = None,
        key: str | None = None,
        findable: bool = True,
    ) -> SentMessage:
        """Post `reply` to `place`; with a `key` (an idempotency key), a key posted before is
        not posted again: its message is returned instead.

        A `findable` key rides on the post, so that an attempt whose outcome a crash hid is
        looked up on the platform. A command's answers are keyed but not findable (the key
        would change how they look): one known to be posted is skipped, one whose outcome
        is unknown is posted again."""
        adapter = self._adapter(place.platform)
        if key is None or self._posts is None:
            return await adapter.send(place, reply, answering=answering, key=key)
        record = await self._posts.intend(key, place)
        if record.sent is not None:
            return record.sent
        if not record.new and findable:
            found = await self._find(adapter, place, key, record.intended_at)
            if found is not None:
                return found
        sent = await adapter.send(place, reply, answering=answering, key=key if findable else None)
        await self._posts.posted(key, sent)
        return sent

    async def sent(self, place: Place, key: str) -> SentMessage | None:
        """The message `key` was posted as, if it is known to be posted (asking the platform
        when an earlier attempt's outcome is unknown); None if it may still be posted."""
        if self._posts is None:
            return None
        record = await self._posts.record(key)
        if record is None or record.sent is not None:
            return record.sent if record else None
        return await self._find(self._adapter(place.platform), place, key, record.intended_at)

    async def _find(
        self, adapter: Adapter, place: Place, key: str, intended_at: datetime
    ) -> SentMessage | None:
        """Ask the platform for a post whose outcome was lost; record it when found."""
        assert self._posts is not None
        if not isinstance(adapter, PostFinder):
            log.info("cannot look up an earlier post, posting key=%s", key)
            return None
        try:
            found = await adapter.find(place, key, intended_at - CLOCK_SKEW)
        except CannotLookUp as error:
            log.info("cannot look up an earlier post, posting key=%s why=%s", key, error)
            return None
        if found is not None:
            log.info("found an earlier post, not posting again key=%s message=%s", key, found.id)
            await self._posts.posted(key, found)
        return found

    async def update(
        self, sent: SentMessage, reply: Reply, *, answering: Message | None = None
    ) -> None:
        await self._adapter(sent.place.platform).update(sent, reply, answering=answering)

    def redelivery(self, platform: str, key: str, raw: Mapping[str, Any]) -> Delivery | None:
        """A stored command's delivery built again by its platform's adapter (bot.runner's
        `Redeliver`); None when no adapter for it runs here or it cannot be read."""
        adapter: object = self._adapters.get(platform)
        if not isinstance(adapter, Redelivering):
            return None
        return adapter.redelivery(key, raw)

    def read_file(self, platform: str, ref: str) -> AsyncIterator[bytes]:
        """A posted file's bytes, read by its platform's adapter; NoAdapter when no adapter
        for it runs here or it cannot read files."""
        adapter: object = self._adapters.get(platform)
        if not isinstance(adapter, FileReader):
            raise NoAdapter(f"the {platform} adapter cannot read posted files")
        return adapter.read_file(ref)

    async def send_direct(self, platform: str, email: str, reply: Reply) -> bool:
        """Message the person with `email` directly on `platform`; False when that platform's
        adapter cannot message people by e-mail or knows no one with it."""
        adapter: object = self._adapters.get(platform)
        if not isinstance(adapter, DirectMessenger):
            return False
        return await adapter.send_direct(email, reply)
