"""The command table: each command registered explicitly, by name, with its role and help."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from bot.access import Role
from bot.grammar.usage import CommandHelp
from bot.inflight import Tracker
from bot.messages import Message, Reply, SentMessage, Tone
from bot.services import Services, utc_now
from bot.store import Outcome

Handler = Callable[["Request", list[str]], Awaitable[Outcome]]
Preview = Callable[["Request", list[str]], Awaitable[str]]


@dataclass(frozen=True)
class Command:
    """One command: who may run it, its help (usage, examples), and the code that runs it."""

    help: CommandHelp
    role: Role
    handler: Handler
    aliases: tuple[str, ...] = ()
    preview: Preview | None = None  # a quick "Fetching …" line; see Bot.preview

    @property
    def name(self) -> str:
        return self.help.name


@dataclass
class Request:
    """One command being run: who asked, where, with which role, and how to answer them."""

    services: Services
    message: Message
    role: Role
    command: Command
    tracker: Tracker | None = None  # the stored command, when the runner stored it
    # When the command reached mvbot (its delivery stored, before any restart): where a
    # clip's end-to-end latency starts.
    asked_at: datetime = field(default_factory=utc_now)

    async def say(self, reply: Reply) -> SentMessage:
        """Post `reply`. A progress message ("Fetching…") is recorded on the stored command,
        so that a run after a restart edits it rather than leaving it behind."""
        tracker = self.tracker
        if tracker is not None and reply.tone is Tone.PROGRESS:
            earlier = tracker.take_earlier()
            if earlier is not None:
                await self.update(earlier, reply)
                return earlier
            sent = await self.services.outbox.send(
                self.message.place, reply, answering=self.message
            )
            await tracker.posted(sent)
            return sent
        return await send_answer(self.services, self.message, reply, tracker)

    def job_key(self) -> str | None:
        """The id for the next job this command stores, so that a rerun after a crash finds
        it rather than storing a second one; None when the command is not stored."""
        return self.tracker.job_key() if self.tracker is not None else None

    async def update(self, sent: SentMessage, reply: Reply) -> None:
        await self.services.outbox.update(sent, reply, answering=self.message)


async def send_answer(
    services: Services, message: Message, reply: Reply, tracker: Tracker | None
) -> SentMessage:
    """Post an answer to `message`. A stored command's answers are keyed, so that a run
    after a crash does not post again what the cut-short run had posted."""
    if tracker is None:
        return await services.outbox.send(message.place, reply, answering=message)
    return await services.outbox.send(
        message.place,
        tracker.announce(reply),
        answering=message,
        key=tracker.answer_key(),
        findable=False,
    )


class Router:
    """Finds the command for a name; a duplicate name or alias fails at start-up."""

    def __init__(self, commands: Iterable[Command] = ()) -> None:
        self._by_name: dict[str, Command] = {}
        self._ordered: list[Command] = []
        for command in commands:
            self.add(command)

    def add(self, command: Command) -> None:
        for name in (command.name, *command.aliases):
            if name in self._by_name:
                raise ValueError(f"command name {name!r} is registered twice")
            self._by_name[name] = command
        self._ordered.append(command)

    def find(self, name: str) -> Command | None:
        return self._by_name.get(name.lower())

    @property
    def commands(self) -> list[Command]:
        return list(self._ordered)
