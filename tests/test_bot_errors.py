"""Requests the bot cannot serve: each gets its own clear sentence, and each is audited."""

from __future__ import annotations

from dataclasses import dataclass

from bot.messages import Tone
from bot.store import Outcome
from tests.bot_fixtures import (  # noqa: F401
    API_KEY,
    ROOM,
    SECURE_ROOM,
    STRANGER,
    VIEWER,
    BotUnderTest,
    bot_fixture,
    bot_simulator_fixture,
    bot_starter_fixture,
)
from tests.db_fixtures import database_url_fixture  # noqa: F401


@dataclass(frozen=True)
class Miss:
    """A request that must fail, what the answer must say, and how it is audited."""

    command: str
    says: tuple[str, ...]
    outcome: Outcome = Outcome.FAILED
    user: str = VIEWER
    room: str = ROOM
    asks_cloud: bool = False  # only the cloud knows the answer; otherwise no API call is made


MISSES = {
    "unknown camera": Miss("clip lobbby 10m ago", ("'lobbby' not found", "did you mean Lobby")),
    "future time": Miss("clip lobby tomorrow 9am", ("is in the future", "09:00:00 E")),
    "too long": Miss("clip lobby 2h ago 31m", ("That is 31 min", "can be up to 30 min")),
    # Server Room keeps 7 days of footage (the fleet says so); Lobby would still have it.
    "past retention": Miss(
        "clip server room 8d ago 1m",
        ("past Server Room's retention",),
        room=SECURE_ROOM,
        asks_cloud=True,
    ),
    # Loading Dock went offline three hours before the simulator started.
    "offline now": Miss(
        "clip loading dock 1h ago 1m", ("Loading Dock was offline at",), asks_cloud=True
    ),
    # Garage Entrance is online, but had a power cut two days ago.
    "offline then": Miss(
        "clip garage entrance 47h45m ago 1m", ("Garage Entrance was offline at",), asks_cloud=True
    ),
    "no role": Miss(
        "clip lobby 10m ago", ("needs the viewer role", "no role"), Outcome.REFUSED, user=STRANGER
    ),
    "restricted camera": Miss(
        "clip server room 10m ago", ("Server Room is not available in this room",), Outcome.REFUSED
    ),
}


async def test_each_impossible_request_gets_its_own_sentence_and_an_audit_row(
    bot: BotUnderTest,
) -> None:
    answers: dict[str, str] = {}
    for case, miss in MISSES.items():
        calls = len(bot.api_calls("/camera/clip"))
        replies = await bot.ask(miss.command, user=miss.user, room=miss.room)
        assert len(bot.api_calls("/camera/clip")) - calls == int(miss.asks_cloud), case
        assert len(replies) == 1, (case, replies)
        reply = replies[0]
        tone = Tone.REFUSED if miss.outcome is Outcome.REFUSED else Tone.ERROR
        assert reply.tone is tone, (case, reply)
        assert reply.attachment is None
        for phrase in miss.says:
            assert phrase in reply.text, (case, reply.text)
        for leak in (API_KEY, "Traceback", "http", "422", "Error"):
            assert leak not in reply.text, (case, reply.text)
        answers[case] = reply.text

        row = await bot.last_audit()
        assert (row.command, row.action, row.outcome) == (miss.command, "clip", miss.outcome)
        assert (row.person_id, row.place_id, row.platform) == (miss.user, miss.room, "memory")
        assert row.detail == reply.text

    assert bot.outcomes == [m.outcome for m in MISSES.values()]
    assert len(set(answers.values())) == len(MISSES)


async def test_an_unknown_command_suggests_the_nearest_one(bot: BotUnderTest) -> None:
    replies = await bot.ask("clpi lobby 10m ago")
    assert [r.tone for r in replies] == [Tone.ERROR]
    assert "did you mean `clip`" in replies[0].text
    row = await bot.last_audit()
    assert (row.command, row.outcome) == ("clpi lobby 10m ago", Outcome.FAILED)

    replies = await bot.ask("frobnicate")
    assert "I don't know 'frobnicate'" in replies[0].text
    assert "did you mean" not in replies[0].text


async def test_a_reply_that_cannot_be_posted_is_still_audited(bot: BotUnderTest) -> None:
    async def broken(place: object, reply: object) -> object:
        raise ConnectionError("chat platform unreachable")

    bot.room.send = broken  # type: ignore[method-assign,assignment]
    outcome = await bot.running.bot.handle(bot.room.message("cameras"))
    assert outcome is Outcome.FAILED
    row = await bot.last_audit()
    assert row.outcome == "failed" and "reply not delivered" in (row.detail or "")
