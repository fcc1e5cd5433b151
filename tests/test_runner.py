"""The command runner: repeats dropped, each command in its own task, idle, stop, failures,
and replies that know which command they answer."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from adapters.memory import MemoryAdapter
from bot.access import Role
from bot.core import Bot
from bot.grammar.usage import CommandHelp
from bot.messages import Message, Person, Place, Reply
from bot.router import Command, Request, Router
from bot.runner import Delivery, Runner
from bot.store import Outcome
from tests.bot_fixtures import offline_services

ROOM = Place("slack", "C1")


class StubBot:
    """Records what it handles; a command whose text has a gate waits for it first."""

    def __init__(self) -> None:
        self.handled: list[str] = []
        self.gates: dict[str, asyncio.Event] = {}

    def gate(self, text: str) -> asyncio.Event:
        return self.gates.setdefault(text, asyncio.Event())

    async def handle(self, message: Message) -> Outcome:
        if message.text in self.gates:
            await self.gates[message.text].wait()
        self.handled.append(message.text)
        return Outcome.OK

    async def preview(self, message: Message) -> str:
        return f"Working on {message.text}"


def message(text: str, user: str = "U1") -> Message:
    return Message(text, Person("slack", user), ROOM)


def delivery(text: str, delivery_id: str | None = None, platform: str = "slack") -> Delivery:
    async def read() -> Message:
        return message(text)

    return Delivery(platform, delivery_id, read)


async def test_a_repeated_delivery_runs_once_and_one_without_an_id_every_time() -> None:
    bot = StubBot()
    runner = Runner(bot, remember=2)
    assert runner.submit(delivery("cameras", "Ev1")) is not None
    assert runner.submit(delivery("cameras", "Ev1")) is None  # Slack doubted its delivery
    assert runner.submit(delivery("cameras", "Ev1", platform="webex")) is not None
    assert runner.submit(delivery("help", "Ev2")) is not None
    assert runner.submit(delivery("help", "Ev3")) is not None
    assert runner.submit(delivery("cameras", "Ev1")) is not None  # forgotten: window moved on
    assert runner.submit(delivery("snapshot lobby")) is not None
    assert runner.submit(delivery("snapshot lobby")) is not None
    await runner.idle()
    assert sorted(bot.handled) == [
        "cameras",
        "cameras",
        "cameras",
        "help",
        "help",
        "snapshot lobby",
        "snapshot lobby",
    ]


async def test_a_slow_command_does_not_hold_up_the_next_and_idle_waits_for_both() -> None:
    bot = StubBot()
    release = bot.gate("clip lobby 10m ago 30m")
    runner = Runner(bot)
    slow = runner.submit(delivery("clip lobby 10m ago 30m"))
    quick = runner.submit(delivery("cameras"))
    assert slow is not None and quick is not None
    idle = asyncio.create_task(runner.idle())

    assert await quick is Outcome.OK
    assert bot.handled == ["cameras"]
    assert not slow.done() and not idle.done()
    release.set()
    await idle
    assert bot.handled == ["cameras", "clip lobby 10m ago 30m"] and slow.result() is Outcome.OK


async def test_stop_refuses_new_commands_and_lets_running_ones_finish_within_the_grace() -> None:
    bot = StubBot()
    release = bot.gate("clip lobby 10m ago 2m")
    runner = Runner(bot)
    running = runner.submit(delivery("clip lobby 10m ago 2m"))
    assert running is not None
    stopping = asyncio.create_task(runner.stop(grace=60.0))
    release.set()  # the command can finish only after stop has begun waiting for it

    await stopping
    assert running.result() is Outcome.OK  # finished, not cancelled
    assert bot.handled == ["clip lobby 10m ago 2m"]
    assert runner.stopping and runner.submit(delivery("cameras", "Ev9")) is None
    assert bot.handled == ["clip lobby 10m ago 2m"]


async def test_stop_cancels_commands_still_running_after_the_grace() -> None:
    bot = StubBot()
    bot.gate("clip lobby 10m ago 30m")  # never opened
    runner = Runner(bot)
    stuck = runner.submit(delivery("clip lobby 10m ago 30m"))
    assert stuck is not None

    await runner.stop(grace=0.01)
    assert stuck.cancelled()
    assert bot.handled == []
    await runner.idle()  # nothing is left running


async def test_a_failing_read_is_logged_and_later_deliveries_still_run(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def broken() -> Message:
        raise ConnectionError("webex answered 502")

    async def nothing() -> None:
        return None

    bot = StubBot()
    runner = Runner(bot)
    failed = runner.submit(Delivery("webex", "messages:1", broken))
    ignored = runner.submit(Delivery("webex", "messages:2", nothing))
    assert failed is not None and ignored is not None
    with caplog.at_level(logging.ERROR, logger="bot.runner"):
        assert await failed is None
    assert await ignored is None
    (record,) = caplog.records
    assert "platform=webex" in record.getMessage() and record.exc_info is not None
    assert "webex answered 502" in str(record.exc_info[1])

    later = runner.submit(delivery("cameras", "messages:3", platform="webex"))
    assert later is not None and await later is Outcome.OK
    assert bot.handled == ["cameras"]


async def test_the_preview_is_the_bots() -> None:
    runner = Runner(StubBot())
    assert await runner.preview(message("cameras")) == "Working on cameras"


# The real core: a private reply reaches the person who asked, however commands interleave.

WHISPER = CommandHelp("whisper", "whisper WORD", "Tell me something privately.", ("whisper a",))


@dataclass
class Whispers:
    """The real Bot and Outbox with one test command, `whisper WORD`, which waits until
    the test opens WORD's gate and then answers privately."""

    runner: Runner
    room: MemoryAdapter
    gates: dict[str, asyncio.Event]


@pytest.fixture
async def whispers(tmp_path: Path) -> AsyncIterator[Whispers]:
    gates: dict[str, asyncio.Event] = {}

    async def whisper(request: Request, tokens: list[str]) -> Outcome:
        await gates.setdefault(tokens[0], asyncio.Event()).wait()
        await request.say(Reply(f"psst: {tokens[0]}", private=True))
        return Outcome.OK

    url = f"sqlite:///{tmp_path / 'mvbot.db'}"
    async with offline_services(url, tmp_path) as (services, room):
        runner = Runner(Bot(services, Router([Command(WHISPER, Role.VIEWER, whisper)])))
        await room.start(runner)
        try:
            yield Whispers(runner, room, gates)
        finally:
            await runner.stop(grace=0.0)


async def test_interleaved_commands_each_answer_the_person_who_asked(whispers: Whispers) -> None:
    runner, room, gates = whispers.runner, whispers.room, whispers.gates
    ann = room.message("whisper a", user="ann")
    bob = room.message("whisper b", user="bob")
    for asked in (ann, bob):
        gates[asked.text.split()[1]] = asyncio.Event()
        assert runner.submit(Delivery.of(asked)) is not None

    gates["b"].set()  # Bob's command answers first, while Ann's is still running
    first = await room.wait_for(lambda r: r.text == "psst: b", 30.0)
    gates["a"].set()
    await runner.idle()

    answered = [(p.reply.text, p.answering) for p in room.posted]
    assert answered == [("psst: b", bob), ("psst: a", ann)]
    assert first.private
    # A reply sent on nobody's behalf (deferred work) names no one.
    await room.send(ROOM, Reply("clip ready"))
    assert room.posted[-1].answering is None
