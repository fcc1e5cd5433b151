"""Active hours on watches and follows, through the real core and ingest: outside its hours a
read is stored and searchable but nobody is told; inside, the room hears of it. Notes are
quoted: leftover words are refused, naming them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.messages import Tone
from bot.store import Outcome
from tests.bot_fixtures import (  # noqa: F401
    BotStarter,
    BotUnderTest,
    bot_simulator_fixture,
    bot_starter_fixture,
)
from tests.db_fixtures import database_url_fixture  # noqa: F401
from tests.test_events_commands import ACCESS, DEADLINE, GARAGE, is_heads_up, read_plate


async def garage_zone(bot: BotUnderTest) -> ZoneInfo:
    directory = await bot.running.services.catalog.directory()
    record = directory.get(GARAGE)
    assert record is not None
    return directory.zone(record)


def hours_around(at: datetime, zone: ZoneInfo, *, inside: bool) -> str:
    """A schedule (on the camera's wall clock) that holds `at`, or one that does not."""
    local = at.astimezone(zone)
    start, end = (local - timedelta(hours=1), local + timedelta(hours=1))
    if not inside:
        start, end = local + timedelta(hours=2), local + timedelta(hours=3)
    return f"{start:%H:%M}-{end:%H:%M}"


async def test_a_watch_outside_its_hours_tells_nobody_but_the_read_is_kept(
    bot_starter: BotStarter,
) -> None:
    async with bot_starter(access=ACCESS) as bot:
        at = datetime.now(UTC) - timedelta(minutes=5)
        zone = await garage_zone(bot)
        off, on = hours_around(at, zone, inside=False), hours_around(at, zone, inside=True)
        said = await bot.ask(f'watch plate NGT0001 note "night delivery" {off}')
        assert said[0].tone is Tone.SUCCESS and f"during {off}" in said[0].text
        await bot.ask(f"watch plate DAY0002 {on} daily")
        await read_plate(bot, "NGT-0001", at)
        await read_plate(bot, "DAY-0002", at + timedelta(seconds=30))
        assert await bot.running.events.alerts.wait_idle(DEADLINE)
        assert await bot.running.pending.wait_idle(DEADLINE)
        told = [r for r in bot.room.replies if is_heads_up(r)]
        assert [r.title for r in told] == ["Plate DAY0002 — Garage Entrance"]
        # The read outside the hours is stored all the same.
        recent = await bot.ask("plates recent garage", user="U2")
        assert [row[2] for row in recent[0].table[1:]] == ["DAY0002", "NGT0001"]
        listed = await bot.ask("watchlist", user="U2")
        assert listed[0].table[1][:3] == ("NGT0001", "night delivery", off)
        assert listed[0].table[2][:3] == ("DAY0002", "–", on)


async def test_a_followed_camera_outside_its_hours_tells_nobody(bot_starter: BotStarter) -> None:
    async with bot_starter(access=ACCESS) as bot:
        at = datetime.now(UTC) - timedelta(minutes=5)
        off = hours_around(at, await garage_zone(bot), inside=False)
        said = await bot.ask(f"plates follow garage entrance {off} weekdays weekends")
        assert said[0].tone is Tone.SUCCESS and "during" in said[0].text
        await read_plate(bot, "KLM-2468", at)
        assert await bot.running.events.alerts.wait_idle(DEADLINE)
        assert [r for r in bot.room.replies if is_heads_up(r)] == []
        listed = await bot.ask("watchlist", user="U2")
        assert f"*Garage Entrance* ({off})" in listed[0].text
        # Following again without hours: always, and the next car is announced.
        again = await bot.ask("plates follow garage entrance")
        assert "hours are now always" in again[0].text
        await read_plate(bot, "DEF-5150", at + timedelta(minutes=1))
        heads_up = await bot.room.wait_for(is_heads_up, DEADLINE)
        assert "DEF5150" in heads_up.text
        assert await bot.running.events.alerts.wait_idle(DEADLINE)
        assert await bot.running.pending.wait_idle(DEADLINE)


async def test_hours_are_taken_and_unquoted_words_are_refused(bot_starter: BotStarter) -> None:
    async with bot_starter(access=ACCESS) as bot:
        watched = await bot.ask("watch plate ABC1234 9pm-6am")
        assert watched[0].tone is Tone.SUCCESS
        refused = await bot.ask("watch plate XYZ9876 blue van")
        assert bot.outcomes[-1] is Outcome.FAILED
        assert "'blue van'" in refused[0].text and "quotes" in refused[0].text
        bare_note = await bot.ask("watch plate XYZ9876 note blue van")
        assert "quotes" in bare_note[0].text
        bad_time = await bot.ask("watch plate XYZ9876 25:00-06:00")
        assert "not a time" in bad_time[0].text
        listed = await bot.ask("watchlist")
        assert listed[0].table[1:] == (("ABC1234", "–", "21:00-06:00", "5m", "U1"),)
