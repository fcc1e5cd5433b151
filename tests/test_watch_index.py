"""Watches and allow-lists are found by plate, not compared one by one: a hotlist or a staff
list of thousands of plates costs a read what one plate does, and finds exactly what
comparing with each would."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, Table, delete, insert, select, update

from bot.events.lpr import PlatePattern, Tolerance
from bot.events.plate_matching import PatternIndex
from bot.events.tables import (
    plate_allows,
    plate_follows,
    plate_interests,
    plate_unknown_alerts,
    plate_watches,
)
from bot.store import create_database_engine, migrate
from tests.bot_fixtures import (  # noqa: F401
    BotStarter,
    BotUnderTest,
    bot_simulator_fixture,
    bot_starter_fixture,
)
from tests.db_fixtures import database_url_fixture  # noqa: F401
from tests.test_events_commands import ACCESS, DEADLINE, is_heads_up, read_plate

CHARACTERS = "ABC0128OSZ"  # few, and OCR-confusable: near plates are common
HOTLIST = 2_000


class Watch:
    """Stands in for a plate_watches row: what PatternIndex reads of one."""

    def __init__(self, pattern: str) -> None:
        self.pattern = PlatePattern.parse(pattern).text

    def __repr__(self) -> str:
        return f"Watch({self.pattern!r})"


def plates(size: tuple[int, int]) -> st.SearchStrategy[str]:
    return st.text(CHARACTERS, min_size=size[0], max_size=size[1])


@st.composite
def patterns(draw: st.DrawFn) -> str:
    plate = draw(plates((2, 8)))
    if draw(st.booleans()):
        return plate
    at = draw(st.integers(0, len(plate)))
    return plate[:at] + draw(st.sampled_from("*?")) + plate[at:]


@st.composite
def misreads(draw: st.DrawFn, watched: list[str]) -> str:
    """A watched plate as OCR may read it (a character changed, lost or added), or any."""
    plate = draw(st.sampled_from(watched)).replace("*", "").replace("?", "")
    if not plate or draw(st.integers(0, 4)) == 0:
        return draw(plates((1, 9)))
    at = draw(st.integers(0, len(plate) - 1))
    other = draw(st.sampled_from(CHARACTERS))
    edit = draw(st.sampled_from(("same", "change", "drop", "add", "two")))
    if edit == "change":
        return plate[:at] + other + plate[at + 1 :]
    if edit == "drop":
        return plate[:at] + plate[at + 1 :]
    if edit == "add":
        return plate[:at] + other + plate[at:]
    if edit == "two":
        return plate[:at] + other + plate[at + 2 :]
    return plate


@settings(max_examples=300, deadline=None)
@given(
    watched=st.lists(patterns(), min_size=1, max_size=30),
    data=st.data(),
    distance=st.integers(1, 2),
)
def test_the_index_finds_what_comparing_with_every_watch_finds(
    watched: list[str], data: st.DataObject, distance: int
) -> None:
    read = data.draw(st.lists(misreads(watched), min_size=1, max_size=3))
    tolerance = Tolerance(distance=distance)
    rows: list[Any] = [Watch(p) for p in watched]
    index = PatternIndex(rows, tolerance)

    def matching(found: list[tuple[Any, PlatePattern]]) -> list[Any]:
        return [w for w, p in found if any(p.matches(plate, tolerance) for plate in read)]

    every = [(w, PlatePattern(w.pattern)) for w in rows]
    assert matching(index.candidates(read)) == matching(every)


def test_a_read_is_compared_with_a_few_watches_of_a_hotlist_not_all_of_them() -> None:
    rng = random.Random(5)
    rows: list[Any] = [
        Watch("".join(rng.choice("DEFGHJK3456") for _ in range(7))) for _ in range(HOTLIST)
    ]
    index = PatternIndex(rows, Tolerance())
    assert index.candidates(["XYZ9876"]) == []
    nearly = rows[1234].pattern[:3] + "M" + rows[1234].pattern[4:]  # one character misread
    assert rows[1234] in [w for w, _ in index.candidates([nearly])]
    assert len(index.candidates([nearly])) <= 3


def long_list(bot: BotUnderTest, table: Table, seed: int) -> None:
    """HOTLIST plates on `table` for the room, as an import would leave them; none is near
    ABC1234 or XYZ9876 (their letters are not)."""
    rng = random.Random(seed)
    plates = {"".join(rng.choice("DEFGHJK3456") for _ in range(7)) for _ in range(HOTLIST)}
    now = datetime.now(UTC)
    rows = [
        {"platform": "memory", "room_id": "R1", "pattern": p, "created_by": "U1", "created_at": now}
        for p in sorted(plates)
    ]
    with bot.store.engine.begin() as connection:
        connection.execute(insert(table), rows)


async def test_a_misread_plate_of_a_long_hotlist_is_told_to_the_room_that_watches_it(
    bot_starter: BotStarter,
) -> None:
    now = datetime.now(UTC)
    async with bot_starter(access=ACCESS) as bot:
        long_list(bot, plate_watches, 9)
        await bot.ask('watch plate ABC1234 note "Stolen van"')
        seen = now - timedelta(seconds=30)
        await read_plate(bot, "XYZ9876", seen - timedelta(seconds=20))  # on no list
        await read_plate(bot, "A8C-1234", seen)  # OCR: 8 for B
        heads_up = await bot.room.wait_for(is_heads_up, DEADLINE)
        assert "Stolen van" in heads_up.text
        assert [r for r in bot.room.replies if is_heads_up(r)] == [heads_up]
        assert await bot.running.events.alerts.wait_idle(DEADLINE)


async def test_a_misread_plate_of_a_long_allow_list_is_let_by_and_others_are_told(
    bot_starter: BotStarter,
) -> None:
    at = datetime.now(UTC) - timedelta(minutes=5)
    async with bot_starter(access=ACCESS) as bot:
        await bot.ask("plates alert unknown at garage entrance")
        long_list(bot, plate_allows, 11)
        await bot.ask('allow plate ABC1234 note "Facilities van"')
        await read_plate(bot, "A8C-1234", at)  # the allowed van, as OCR reads it
        await read_plate(bot, "XYZ-9876", at + timedelta(minutes=1))
        assert await bot.running.events.alerts.wait_idle(DEADLINE)
        told = [r.title for r in bot.room.replies if is_heads_up(r)]
        assert told == ["Plate XYZ9876 — Garage Entrance"]
        assert await bot.running.pending.wait_idle(DEADLINE)


# One row of each table whose changes processing must see, and a column to change in it.
INTERESTS: dict[str, tuple[Table, dict[str, Any], str]] = {
    "watch": (plate_watches, {"pattern": "ABC1234"}, "note"),
    "follow": (plate_follows, {"serial": "Q2GV-GRGE-0002", "camera": "Garage"}, "hours"),
    "unknown": (plate_unknown_alerts, {"serial": "Q2GV-GRGE-0002", "camera": "Garage"}, "hours"),
    "allow": (plate_allows, {"pattern": "ABC1234"}, "note"),
}


@pytest.mark.parametrize("kind", list(INTERESTS))
def test_every_change_to_what_rooms_hear_of_moves_the_counter_processing_checks(
    database_url: str, kind: str
) -> None:
    """Processing keeps the watches, follows and lists it read while plate_interests stays
    put (bot.events.sightings): whatever adds, changes or removes one must move it."""
    table, values, column = INTERESTS[kind]
    engine = create_database_engine(database_url)
    migrate(engine)
    row = {"platform": "memory", "room_id": "R1", "created_by": "U1", **values}
    seen = [counter(engine)]
    with engine.begin() as connection:
        connection.execute(insert(table).values(created_at=datetime.now(UTC), **row))
    seen.append(counter(engine))
    with engine.begin() as connection:
        connection.execute(update(table).values({column: "Mon-Fri 08:00-18:00"}))
    seen.append(counter(engine))
    with engine.begin() as connection:
        connection.execute(delete(table))
    seen.append(counter(engine))
    engine.dispose()
    assert seen[0] < seen[1] < seen[2] < seen[3], seen


def counter(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(plate_interests.c.version)).scalar_one())


async def test_a_watch_made_after_reads_were_processed_is_matched_with_the_next_read(
    bot_starter: BotStarter,
) -> None:
    at = datetime.now(UTC) - timedelta(minutes=30)
    async with bot_starter(access=ACCESS) as bot:
        await bot.ask("watch plate ABC1234")
        await read_plate(bot, "XYZ9876", at)  # processed with the watches of that moment
        await bot.ask('watch plate XYZ9876 note "Seen before"')
        await bot.ask("unwatch plate ABC1234")
        await read_plate(bot, "ABC1234", at + timedelta(minutes=10))
        await read_plate(bot, "XYZ9876", at + timedelta(minutes=20))
        assert await bot.running.events.alerts.wait_idle(DEADLINE)
        told = [r.title for r in bot.room.replies if is_heads_up(r)]
        assert told == ["Plate XYZ9876 — Garage Entrance"]
