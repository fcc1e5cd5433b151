"""Commands in flight: stored before they run, refused when repeated, finished after a restart."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from adapters.memory import MemoryAdapter
from bot.access import Role
from bot.core import Bot
from bot.grammar.usage import CommandHelp
from bot.inflight import RESUMED, CommandJournal, CommandStatus
from bot.messages import Message, Person, Place, Reply, Tone
from bot.router import Command, Request, Router
from bot.runner import Delivery, Patience, Runner
from bot.store import Outcome, Store
from tests.bot_fixtures import offline_services

ROOM = Place("slack", "C1")
FETCH = CommandHelp("fetch", "fetch WORD", "Fetch something slowly.", ("fetch a",))
ANSWER = CommandHelp("answer", "answer WORD", "Answer, then linger.", ("answer a",))
LATER = CommandHelp("later", "later WORD", "Store a job, then linger.", ("later a",))


@dataclass
class Gates:
    """`fetch WORD` posts a progress message, then waits for WORD's gate."""

    opened: dict[str, asyncio.Event] = field(default_factory=dict)
    waiting: dict[str, asyncio.Event] = field(default_factory=dict)  # progress posted

    def gate(self, word: str) -> asyncio.Event:
        return self.opened.setdefault(word, asyncio.Event())

    def reached(self, word: str) -> asyncio.Event:
        return self.waiting.setdefault(word, asyncio.Event())


@dataclass
class Process:
    """One mvbot process: a runner with the real core, over the shared database."""

    runner: Runner
    room: MemoryAdapter
    store: Store
    journal: CommandJournal


@dataclass
class Starter:
    """Starts mvbot processes one after another over one database, as restarts do; each has
    the real core and one test command, `fetch WORD`."""

    files: Path
    gates: Gates = field(default_factory=Gates)

    async def fetch(self, request: Request, tokens: list[str]) -> Outcome:
        sent = await request.say(Reply(f"Fetching {tokens[0]}…", tone=Tone.PROGRESS))
        self.gates.reached(tokens[0]).set()
        await self.gates.gate(tokens[0]).wait()
        await request.update(sent, Reply(f"Fetching {tokens[0]}: 1/1", tone=Tone.PROGRESS))
        await request.say(Reply(f"here is {tokens[0]}", tone=Tone.SUCCESS))
        return Outcome.OK

    async def later(self, request: Request, tokens: list[str]) -> Outcome:
        """Stores a job for WORD as the deferring commands do, then waits for WORD's gate."""
        due = datetime.now(UTC) + timedelta(hours=1)
        place = request.message.place.to_json()
        await request.services.store.add_job("test", {}, place, due, request.job_key())
        self.gates.reached(tokens[0]).set()
        await self.gates.gate(tokens[0]).wait()
        return Outcome.PENDING

    async def answer(self, request: Request, tokens: list[str]) -> Outcome:
        """Answers at once, then waits for WORD's gate before it finishes."""
        await request.say(Reply(f"here is {tokens[0]}", tone=Tone.SUCCESS))
        self.gates.reached(tokens[0]).set()
        await self.gates.gate(tokens[0]).wait()
        return Outcome.OK

    @asynccontextmanager
    async def __call__(
        self, patience: Patience | None = None, clock: Callable[[], datetime] | None = None
    ) -> AsyncIterator[Process]:
        url = f"sqlite:///{self.files / 'mvbot.db'}"
        async with offline_services(url, self.files) as (services, room):
            journal = CommandJournal(services.store.engine)
            commands = [
                Command(FETCH, Role.VIEWER, self.fetch),
                Command(ANSWER, Role.VIEWER, self.answer),
                Command(LATER, Role.VIEWER, self.later),
            ]
            bot = Bot(services, Router(commands))
            extra = {"clock": clock} if clock else {}
            runner = Runner(bot, journal=journal, patience=patience or Patience(), **extra)
            await room.start(runner)
            try:
                yield Process(runner, room, services.store, journal)
            finally:
                await runner.stop(grace=0.0)


@pytest.fixture
def start(tmp_path: Path) -> Starter:
    return Starter(tmp_path)


def delivery(text: str, key: str) -> Delivery:
    return Delivery.of(Message(text, Person("slack", "U1"), ROOM), key)


async def crash_while_fetching(start: Starter, word: str = "lobby") -> str:
    """Run `fetch WORD` until its progress message is out, then cut it short as a crash
    (or a stop past its grace) does; the id of that progress message."""
    async with start() as first:
        task = await first.runner.accept(delivery(f"fetch {word}", f"Ev-{word}"))
        assert task is not None
        await asyncio.wait_for(start.gates.reached(word).wait(), 10.0)
        task.cancel()
        progress_id = "1"  # the memory adapter numbers messages from 1
    return progress_id


async def test_a_delivery_stored_once_is_refused_after_a_restart(
    start: Starter,
) -> None:
    gates = start.gates
    gates.gate("a").set()
    async with start() as first:
        assert await first.runner.accept(delivery("fetch a", "Ev1")) is not None
        await first.runner.idle()
    async with start() as second:
        assert await second.runner.accept(delivery("fetch a", "Ev1")) is None
        assert await second.runner.accept(delivery("fetch a", "Ev2")) is not None
        await second.runner.idle()
        assert [r.text for r in second.room.replies if r.tone is Tone.SUCCESS] == ["here is a"]
        audit = await second.store.audit_rows()
    assert len(audit) == 2  # Ev1 once in the first process, Ev2 once in the second


async def test_a_command_cut_short_is_finished_after_the_restart_in_its_progress_message(
    start: Starter,
) -> None:
    gates = start.gates
    progress_id = await crash_while_fetching(start)
    gates.gate("lobby").set()
    async with start() as second:
        assert await second.runner.resume(lambda *_: None) == 1
        await second.runner.idle()
        posted = second.room.posted
        # The old "Fetching…" is edited to its final state, not posted again.
        assert [p.edit_of for p in posted] == [progress_id, progress_id, None]
        assert posted[-1].reply.text.splitlines() == [RESUMED, "here is lobby"]
        audit = await second.store.audit_rows()
        assert [(a.command, a.outcome) for a in audit] == [("fetch lobby", Outcome.OK)]
        record = await second.journal.record("slack", "Ev-lobby")
        assert record is not None and record.status is CommandStatus.DONE
        assert record.attempts == 2
        # Nothing is left to resume, and the delivery is still refused.
        assert await second.runner.resume(lambda *_: None) == 0
        assert await second.runner.accept(delivery("fetch lobby", "Ev-lobby")) is None


async def test_an_answer_posted_before_the_crash_is_not_posted_again(start: Starter) -> None:
    async with start() as first:
        task = await first.runner.accept(delivery("answer lobby", "Ev-answer"))
        assert task is not None
        await asyncio.wait_for(start.gates.reached("lobby").wait(), 10.0)
        task.cancel()  # answered, but cut short before it finished
        assert [r.text for r in first.room.replies] == ["here is lobby"]
    start.gates.gate("lobby").set()
    async with start() as second:
        assert await second.runner.resume(lambda *_: None) == 1
        await second.runner.idle()
        assert second.room.replies == []
        record = await second.journal.record("slack", "Ev-answer")
        assert record is not None and record.status is CommandStatus.DONE
        audit = await second.store.audit_rows()
        assert [(a.command, a.outcome) for a in audit] == [("answer lobby", Outcome.OK)]


async def test_a_job_stored_before_the_crash_is_not_stored_again(start: Starter) -> None:
    async with start() as first:
        task = await first.runner.accept(delivery("later lobby", "Ev-later"))
        assert task is not None
        await asyncio.wait_for(start.gates.reached("lobby").wait(), 10.0)
        task.cancel()  # the job is stored, the command cut short
    start.gates.gate("lobby").set()
    async with start() as second:
        assert await second.runner.resume(lambda *_: None) == 1
        await second.runner.idle()
        assert len(await second.store.jobs(kind="test")) == 1


async def test_a_command_cut_short_too_often_is_answered_with_a_failure(
    start: Starter,
) -> None:
    progress_id = await crash_while_fetching(start)
    async with start(patience=Patience(attempts=1)) as second:
        assert await second.runner.resume(lambda *_: None) == 1
        await second.runner.idle()
        (edit,) = second.room.posted
        assert edit.edit_of == progress_id and edit.reply.tone is Tone.ERROR
        assert "interrupted by a restart" in edit.reply.text and "ask again" in edit.reply.text
        audit = await second.store.audit_rows()
        assert [(a.action, a.outcome) for a in audit] == [("fetch", Outcome.FAILED)]
        record = await second.journal.record("slack", "Ev-lobby")
        assert record is not None and record.status is CommandStatus.FAILED


async def test_a_command_cut_short_long_ago_is_answered_with_a_failure(
    start: Starter,
) -> None:
    progress_id = await crash_while_fetching(start)
    later = datetime.now(UTC) + timedelta(hours=1)
    async with start(clock=lambda: later) as second:
        assert await second.runner.resume(lambda *_: None) == 1
        await second.runner.idle()
        (edit,) = second.room.posted
        assert edit.edit_of == progress_id and "more than 30 min ago" in edit.reply.text


async def test_a_stored_delivery_not_yet_read_is_read_again_by_its_adapter(
    start: Starter,
) -> None:
    gates = start.gates
    gates.gate("door").set()
    never = asyncio.Event()

    async def stuck() -> Message:
        await never.wait()  # the platform's API hangs, then the process dies
        raise AssertionError("unreachable")

    async with start() as first:
        raw = {"text": "fetch door"}
        task = await first.runner.accept(Delivery("slack", "Ev-door", stuck, raw))
        assert task is not None
        task.cancel()
    asked: list[tuple[str, str, object]] = []

    def redeliver(platform: str, key: str, raw: object) -> Delivery:
        asked.append((platform, key, raw))
        return delivery("fetch door", key)

    async with start() as second:
        assert await second.runner.resume(redeliver) == 1
        await second.runner.idle()
        assert asked == [("slack", "Ev-door", {"text": "fetch door"})]
        assert second.room.replies[-1].text.splitlines() == [RESUMED, "here is door"]


async def test_finished_commands_are_forgotten_after_a_day(start: Starter) -> None:
    gates = start.gates
    gates.gate("a").set()
    async with start() as first:
        await first.runner.accept(delivery("fetch a", "Ev1"))
        await first.runner.idle()
        assert await first.journal.forget() == 0
        assert await first.journal.forget(keep=timedelta(seconds=-1)) == 1
        assert await first.journal.record("slack", "Ev1") is None
