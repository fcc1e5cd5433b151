"""Where the core's replies go: the adapter interface and the router from a place to its adapter."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

from bot.messages import Message, Place, Reply, SentMessage
from bot.runner import Delivery
from bot.store import Outcome


class Core(Protocol):
    """What an adapter may ask of the core (bot.runner.Runner)."""

    @property
    def stopping(self) -> bool:
        """True once the bot is shutting down: new commands are refused."""
        ...

    def submit(self, delivery: Delivery) -> asyncio.Task[Outcome | None] | None:
        """Run a command in a task the core owns; every answer goes out through the
        adapter's `send`/`update` with `answering` set to the command's Message. None when
        the delivery repeats a recent one or the bot is stopping."""
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
        self, place: Place, reply: Reply, *, answering: Message | None = None
    ) -> SentMessage: ...

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


class NoAdapter(LookupError):
    """A reply was addressed to a platform that this process does not run."""


class Outbox:
    """Routes each reply to the adapter of its place's platform."""

    def __init__(self) -> None:
        self._adapters: dict[str, Adapter] = {}

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
        self, place: Place, reply: Reply, *, answering: Message | None = None
    ) -> SentMessage:
        return await self._adapter(place.platform).send(place, reply, answering=answering)

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

    async def send_direct(self, platform: str, email: str, reply: Reply) -> bool:
        """Message the person with `email` directly on `platform`; False when that platform's
        adapter cannot message people by e-mail or knows no one with it."""
        adapter: object = self._adapters.get(platform)
        if not isinstance(adapter, DirectMessenger):
            return False
        return await adapter.send_direct(email, reply)
