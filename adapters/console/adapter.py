"""The console adapter: prints replies to a stream and reads commands from standard input."""

from __future__ import annotations

import asyncio
import itertools
import sys
from datetime import datetime
from typing import TextIO

from adapters.console.render import render
from bot.messages import Message, Person, Place, Reply, SentMessage
from bot.outbox import CannotLookUp, Core
from bot.runner import Delivery
from bot.store import Outcome

PLATFORM = "console"


class ConsoleAdapter:
    """One terminal user in one room; messages are printed, edits are printed as updates."""

    platform = PLATFORM

    def __init__(self, out: TextIO | None = None, user: str = "console") -> None:
        self.out = out or sys.stdout
        self.person = Person(PLATFORM, user, name=user)
        self.place = Place(PLATFORM, "console")
        self.replies: list[Reply] = []
        self._ids = itertools.count(1)
        self._core: Core | None = None
        self._keyed: dict[str, SentMessage] = {}  # this process's automatic posts

    async def start(self, core: Core) -> None:
        self._core = core

    async def stop(self) -> None:
        return None

    def message(self, text: str) -> Message:
        return Message(text=text, person=self.person, place=self.place)

    async def send(
        self,
        place: Place,
        reply: Reply,
        *,
        answering: Message | None = None,
        key: str | None = None,
    ) -> SentMessage:
        self.replies.append(reply)
        self._print(render(reply))
        sent = SentMessage(place, str(next(self._ids)))
        if key is not None:
            self._keyed[key] = sent
        return sent

    async def find(self, place: Place, key: str, since: datetime) -> SentMessage | None:
        """An automatic post printed by this process (bot.outbox.PostFinder); a terminal
        keeps no record across restarts, so an unknown key cannot be looked up."""
        if key in self._keyed:
            return self._keyed[key]
        raise CannotLookUp("the console keeps no record of what an earlier run printed")

    async def update(
        self, sent: SentMessage, reply: Reply, *, answering: Message | None = None
    ) -> None:
        self.replies.append(reply)
        self._print(render(reply))

    async def send_direct(self, email: str, reply: Reply) -> bool:
        """The console has no other members: it shows what the direct message would say."""
        self._print(f"(direct message to {email})\n{render(reply)}")
        return True

    def _print(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    async def ask(self, text: str) -> Outcome:
        """Run `text` as a command and wait for its outcome (`mvbot demo --once`)."""
        task = self._submit(text)
        # The runner logged a command that broke before it had an outcome: it failed.
        return (await task) or Outcome.FAILED

    async def repl(self) -> None:
        """Read commands until end of input or `quit`; a command runs while the next is
        typed (the core's runner owns it: `Runner.idle` waits for the last to finish)."""
        while True:
            line = await asyncio.to_thread(_read_line, "mvbot> ")
            if line is None or line.strip() in ("quit", "exit"):
                break
            if line.strip():
                self._submit(line)

    def _submit(self, text: str) -> asyncio.Task[Outcome | None]:
        if self._core is None:
            raise RuntimeError("the adapter has not been started")
        message = self.message(text)
        task = self._core.submit(Delivery.of(message))
        if task is None:
            raise RuntimeError("the bot is stopping")
        return task


def _read_line(prompt: str) -> str | None:
    try:
        return input(prompt)
    except EOFError:
        return None
