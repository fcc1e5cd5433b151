"""Plate history through the real core and ingest: `plates search` by pattern, `plates recent`
since a time, a page at a time, each row with a button that fetches its clip."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.events.lpr import PlatePattern
from bot.events.plate_history import fixed_head
from bot.messages import Reply
from tests.bot_fixtures import (  # noqa: F401
    BotStarter,
    BotUnderTest,
    bot_simulator_fixture,
    bot_starter_fixture,
)
from tests.db_fixtures import database_url_fixture  # noqa: F401
from tests.test_events_commands import ACCESS, DEADLINE, GARAGE, SERVER_ROOM, read_plate


def plates_of(reply: Reply) -> list[str]:
    return [row[2] for row in reply.table[1:]]


@pytest.mark.parametrize(
    ("pattern", "head"), [("ABC*", "A8C"), ("AB?123", "A8"), ("*123", ""), ("OS12", "0512")]
)
def test_a_pattern_narrows_the_query_by_its_canonical_head(pattern: str, head: str) -> None:
    assert fixed_head(PlatePattern.parse(pattern)) == head


async def test_search_by_pattern_since_a_time_with_a_clip_button_per_row(
    bot_starter: BotStarter,
) -> None:
    async with bot_starter(access=ACCESS) as bot:
        start = datetime.now(UTC) - timedelta(minutes=30)
        for i, plate in enumerate(("ABC-1234", "A8C9999", "ABD5678", "XYZ0001")):
            await read_plate(bot, plate, start + timedelta(minutes=i))
        await read_plate(bot, "ABC7777", start + timedelta(minutes=5), serial=SERVER_ROOM)
        found = await bot.ask('plates search "ABC*"', user="U2")
        # O/0-style confusions count (A8C is ABC); the restricted camera stays out of sight.
        assert plates_of(found[0]) == ["A8C9999", "ABC1234"]
        assert plates_of((await bot.ask("plates search ab?-1234", user="U2"))[0]) == ["ABC1234"]
        exact = await bot.ask("plates search abc-1234 at garage", user="U2")
        assert plates_of(exact[0]) == ["ABC1234"]
        secure = await bot.ask('plates search "ABC*"', user="U2", room="R-secure")
        assert plates_of(secure[0]) == ["ABC7777", "A8C9999", "ABC1234"]
        since = (start + timedelta(minutes=1, seconds=30)).astimezone(UTC)
        later = await bot.ask(f"plates recent garage since {since:%Y-%m-%dT%H:%M:%SZ}", user="U2")
        assert plates_of(later[0]) == ["XYZ0001", "ABD5678"]
        # The button of a row asks for the clip around that sighting.
        button = next(b for b in found[0].buttons if "A8C9999" in b.label)
        assert button.command.startswith(f"clip {GARAGE} ")
        clip = await bot.ask(button.command, user="U2")
        assert any(r.attachment is not None and r.attachment.kind == "video" for r in clip)


async def test_a_long_history_comes_a_page_at_a_time(bot_starter: BotStarter) -> None:
    async with bot_starter(access=ACCESS) as bot:
        start = datetime.now(UTC) - timedelta(minutes=40)
        plates = [f"PG{n:04d}" for n in range(12)]
        for i, plate in enumerate(plates):
            await read_plate(bot, plate, start + timedelta(seconds=30 * i))
        first = await bot.ask("plates recent garage", user="U2")
        assert plates_of(first[0]) == plates[::-1][:10]
        older = next(b for b in first[0].buttons if b.label == "Older")
        second = await bot.ask(older.command, user="U2")
        assert plates_of(second[0]) == plates[1::-1]
        assert not any(b.label == "Older" for b in second[0].buttons)
        assert await bot.running.events.alerts.wait_idle(DEADLINE)


@pytest.mark.parametrize(
    ("ask", "says"),
    [
        ("plates search *", "at least two characters"),
        ('plates search "ABC*" since teatime', "not a time"),
        ("plates search", "Which plates?"),
        ("plates recent since", "Since when?"),
        ("plates search AB* at nowhere", "not found"),
    ],
)
async def test_bad_searches_say_why(bot_starter: BotStarter, ask: str, says: str) -> None:
    async with bot_starter(access=ACCESS) as bot:
        replies = await bot.ask(ask, user="U2")
        assert replies[0].failed and says in replies[0].text
