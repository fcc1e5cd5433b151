"""The command runner: every platform's commands are stored, run, deduplicated and stopped here."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from bot.inflight import CommandJournal, CommandRecord, CommandStatus, Tracker
from bot.messages import Message
from bot.store import Outcome

log = logging.getLogger(__name__)

# Seconds running commands get to finish when the bot stops, on every platform; what is
# still running then is cancelled, stays in the store, and is resumed at the next start.
STOP_GRACE = 10.0
# Deliveries remembered in memory for spotting repeats when no journal stores them:
# platforms redeliver within minutes, and a thousand commands is far more than a few minutes.
REMEMBERED = 1000
# Finished commands are pruned from the store at most this often.
PRUNE_EVERY = timedelta(hours=1)


@dataclass(frozen=True)
class Delivery:
    """A command as a platform delivered it, before it is read.

    `id` spots a repeat delivery of the same command (None: never taken for a repeat);
    `read` turns it into the Message to run, or None when there is nothing to run. It
    runs inside the command's task, so slow reading (Webex fetches the message, Slack
    looks up the person) holds up neither the platform's request nor other commands.
    `raw` is what the adapter needs to build the delivery again after a restart
    (`Redeliver`), `message` the command when the adapter already holds it in full.
    """

    platform: str
    id: str | None
    read: Callable[[], Awaitable[Message | None]]
    raw: Mapping[str, Any] | None = None
    message: Message | None = None

    @classmethod
    def of(cls, message: Message, delivery_id: str | None = None) -> Delivery:
        """A command the adapter already holds in full (the console, tests, a resumed one)."""

        async def read() -> Message:
            return message

        return cls(message.place.platform, delivery_id, read, None, message)


# Builds a stored delivery again from its platform, key and raw form (None: it cannot).
Redeliver = Callable[[str, str, Mapping[str, Any]], Delivery | None]


@dataclass(frozen=True)
class Patience:
    """When a command cut short by restarts is answered with a failure instead of run again."""

    attempts: int = 2  # runs started: a command that crashed the bot twice is not run a third
    age: timedelta = timedelta(minutes=30)  # an answer this late is no longer what was asked


class CommandHandler(Protocol):
    """What the runner runs commands with: the Bot, or a stand-in in tests."""

    async def handle(self, message: Message, tracker: Tracker | None = None) -> Outcome: ...

    async def preview(self, message: Message) -> str: ...

    async def abandon(self, message: Message, tracker: Tracker, reason: str) -> None: ...


def _now() -> datetime:
    return datetime.now(UTC)


# Whether the replica of that id runs now (bot.fleet.Fleet.alive).
Alive = Callable[[str], Awaitable[bool]]


async def _alone(owner: str) -> bool:
    return False  # one process on its database: whoever else owned a row is gone


class Runner:
    """Runs each submitted command in a task of its own and keeps track of them all.

    Adapters only translate and transport: they hand every command here (`accept`, or
    `submit` when there is nothing to acknowledge) and the runner owns the work from then
    on, so every platform drops repeats, stops and reports failures the same way. With a
    `journal`, a command is stored before `accept` returns, so a repeat is refused across
    restarts and `resume` finishes what a crash or a stop cut short.
    """

    def __init__(
        self,
        bot: CommandHandler,
        *,
        remember: int = REMEMBERED,
        journal: CommandJournal | None = None,
        patience: Patience = Patience(),
        clock: Callable[[], datetime] = _now,
        owner: str | None = None,
        alive: Alive = _alone,
    ) -> None:
        self._bot = bot
        self._remember = remember
        self._ledger = journal
        self._patience = patience
        self._clock = clock
        self._owner = owner or uuid.uuid4().hex  # this replica, on the rows it runs
        self._alive = alive
        self._seen: OrderedDict[tuple[str, str], None] = OrderedDict()
        self._tasks: set[asyncio.Task[Outcome | None]] = set()
        self._stopping = False
        self._pruned_at = clock()

    @property
    def stopping(self) -> bool:
        """True once `stop` has begun: new deliveries are refused (a platform may retry)."""
        return self._stopping

    def submit(self, delivery: Delivery) -> asyncio.Task[Outcome | None] | None:
        """Start running `delivery`; None if the runner is stopping or, without a journal, it
        repeats a recent one. It is stored inside its task (a repeat the journal refuses runs
        nothing there): for adapters with no acknowledgement to hold back."""
        if self._stopping or not self._first_time(delivery):
            return None
        return self._start(self._store_and_run(delivery))

    async def accept(self, delivery: Delivery) -> asyncio.Task[Outcome | None] | None:
        """Store `delivery`, then start running it; None if it repeats one stored before (or,
        without a journal, seen recently) or the runner is stopping. Acknowledge the platform
        after this returns; if it raises (the store is down), answer so that it retries."""
        if self._stopping or not self._first_time(delivery):
            return None
        accepted_at = self._clock()
        key = await self._store(delivery)
        if key is None:
            return None
        return self._start(self._run(delivery, key, accepted_at=accepted_at))

    async def preview(self, message: Message) -> str:
        """The bot's one-line acknowledgement (see `Bot.preview`)."""
        return await self._bot.preview(message)

    async def resume(self, redeliver: Redeliver) -> int:
        """Run again, or answer with a clear failure, every stored command not finished that
        this replica's earlier life or a dead replica left (a crash or a stop cut it short);
        the number taken up. Call once the adapters run."""
        if self._ledger is not None:
            await self._ledger.forget()
        return await self._take_over(redeliver, earlier_self=True)

    async def take_over(self, redeliver: Redeliver) -> int:
        """Take up the unfinished commands of replicas that died since (the leader calls
        this every third of the lease); never those of a live replica."""
        return await self._take_over(redeliver, earlier_self=False)

    async def _take_over(self, redeliver: Redeliver, *, earlier_self: bool) -> int:
        journal = self._ledger
        if journal is None or self._stopping:
            return 0
        count = 0
        for record in await journal.unfinished():
            owner = record.owner
            if owner == self._owner:
                if not earlier_self:
                    continue  # running here now
            elif owner is not None and await self._alive(owner):
                continue  # a live replica runs it
            if not await journal.claim(record.platform, record.key, self._owner, owner):
                continue  # finished meanwhile, or another replica took it first
            count += 1
            reason = self._too_late(record)
            if reason is not None:
                self._start(self._abandon(journal, record, reason))
                continue
            if record.message is not None:
                delivery: Delivery | None = Delivery.of(record.message, record.key)
            else:
                delivery = redeliver(record.platform, record.key, record.raw or {})
            if delivery is None:
                await journal.finish(
                    record.platform, record.key, CommandStatus.FAILED, detail="unreadable"
                )
                continue
            self._start(self._run(delivery, record.key, resumed=record))
        if count:
            log.info("commands resumed after a restart count=%d replica=%s", count, self._owner)
        return count

    async def idle(self) -> None:
        """Return once every command submitted so far has finished (answered and audited)."""
        while self._tasks:
            await asyncio.wait(set(self._tasks))

    async def stop(self, grace: float = STOP_GRACE) -> None:
        """Refuse new commands, let running ones finish for `grace` seconds, then cancel
        the rest and wait for them to unwind (they stay stored, to be resumed)."""
        self._stopping = True
        if not self._tasks:
            return
        _, late = await asyncio.wait(set(self._tasks), timeout=grace)
        for task in late:
            task.cancel()
        if late:
            log.warning("commands cancelled at stop count=%d grace=%.0fs", len(late), grace)
            await asyncio.wait(late)

    def _start(self, work: Coroutine[Any, Any, Outcome | None]) -> asyncio.Task[Outcome | None]:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def _first_time(self, delivery: Delivery) -> bool:
        # With a journal its rows refuse a repeat, across restarts too (`_store`); the
        # window of recent ids stands in for them only where nothing is stored.
        if delivery.id is None or self._ledger is not None:
            return True
        key = (delivery.platform, delivery.id)
        if key in self._seen:
            return False
        self._seen[key] = None
        if len(self._seen) > self._remember:
            self._seen.popitem(last=False)
        return True

    async def _store(self, delivery: Delivery) -> str | None:
        """The key the delivery is stored under (None: stored before, a repeat); without a
        journal, its own id or a new one."""
        key = delivery.id or f"local:{uuid.uuid4().hex}"
        if self._ledger is None:
            return key
        added = await self._ledger.add(
            delivery.platform, key, delivery.raw, delivery.message, self._owner
        )
        return key if added else None

    async def _store_and_run(self, delivery: Delivery) -> Outcome | None:
        accepted_at = self._clock()
        try:
            key = await self._store(delivery)
        except Exception:
            log.exception("command not stored platform=%s", delivery.platform)
            key = None  # run it all the same: the person is waiting
        else:
            if key is None:
                return None
        return await self._run(delivery, key, accepted_at=accepted_at)

    async def _run(
        self,
        delivery: Delivery,
        key: str | None,
        *,
        resumed: CommandRecord | None = None,
        accepted_at: datetime | None = None,
    ) -> Outcome | None:
        journal = self._ledger
        try:
            message = await delivery.read()
            if message is None:
                if journal is not None and key is not None:
                    await journal.finish(delivery.platform, key, CommandStatus.DONE)
                return None
            if journal is None or key is None:
                return await self._bot.handle(message)
            await journal.start(delivery.platform, key, message, self._owner)
            tracker = Tracker(
                journal,
                delivery.platform,
                key,
                resumed=resumed is not None,
                earlier=resumed.progress if resumed else None,
                accepted_at=resumed.accepted_at if resumed else accepted_at,
            )
            outcome = await self._bot.handle(message, tracker)
            await self._prune(journal)
            return outcome
        except Exception:  # a task's failure must reach the log, not vanish with the task
            log.exception("command failed platform=%s delivery=%s", delivery.platform, delivery.id)
            return None

    async def _prune(self, journal: CommandJournal) -> None:
        if self._clock() - self._pruned_at > PRUNE_EVERY:
            self._pruned_at = self._clock()
            await journal.forget()

    def _too_late(self, record: CommandRecord) -> str | None:
        if record.attempts >= self._patience.attempts:
            return f"it was interrupted {record.attempts} times"
        if self._clock() - record.accepted_at > self._patience.age:
            minutes = int(self._patience.age.total_seconds() // 60)
            return f"it was asked more than {minutes} min ago"
        return None

    async def _abandon(
        self, journal: CommandJournal, record: CommandRecord, reason: str
    ) -> Outcome | None:
        try:
            if record.message is None:  # never read: there is no one to tell
                await journal.finish(
                    record.platform, record.key, CommandStatus.FAILED, detail=reason
                )
                return None
            tracker = Tracker(
                journal, record.platform, record.key, resumed=True, earlier=record.progress
            )
            await self._bot.abandon(record.message, tracker, reason)
        except Exception:
            log.exception("giving up a command failed platform=%s", record.platform)
            return None
        return Outcome.FAILED
