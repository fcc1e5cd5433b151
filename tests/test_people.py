"""The people cache both chat platforms share: merged look-ups, expiry, a bound, failures."""

from __future__ import annotations

import asyncio

from adapters.people import People
from bot.messages import Person


class Directory:
    """A platform's user look-up: counts calls; an id with a gate waits for it; an id in
    `failing` cannot be looked up."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.gates: dict[str, asyncio.Event] = {}
        self.failing: set[str] = set()

    async def look_up(self, user_id: str) -> Person | None:
        self.calls.append(user_id)
        if user_id in self.gates:
            await self.gates[user_id].wait()
        if user_id in self.failing:
            return None
        return Person("slack", user_id, name=f"Name of {user_id}", email=f"{user_id}@example.com")


class ManualClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_people_asked_for_at_once_are_looked_up_once() -> None:
    directory = Directory()
    gate = directory.gates.setdefault("U1", asyncio.Event())
    people = People("slack", directory.look_up)
    asks = [asyncio.create_task(people.person("U1")) for _ in range(5)]
    gate.set()
    found = await asyncio.gather(*asks)
    assert {p.name for p in found} == {"Name of U1"}
    assert directory.calls == ["U1"]


async def test_a_person_is_remembered_for_the_ttl_then_looked_up_again() -> None:
    directory, clock = Directory(), ManualClock()
    people = People("slack", directory.look_up, ttl=3600.0, clock=clock)
    await people.person("U1")
    clock.now += 3599
    await people.person("U1")
    assert directory.calls == ["U1"]
    clock.now += 2
    await people.person("U1")
    assert directory.calls == ["U1", "U1"]


async def test_the_least_recently_asked_for_is_forgotten_first() -> None:
    directory = Directory()
    people = People("slack", directory.look_up, size=2)
    for user in ("U1", "U2", "U1", "U3"):  # U2 is now the least recently asked for
        await people.person(user)
    assert len(people) == 2
    await people.person("U1")
    await people.person("U2")
    assert directory.calls == ["U1", "U2", "U3", "U2"]


async def test_a_failed_look_up_gives_the_id_and_email_hint_and_is_tried_again() -> None:
    directory = Directory()
    directory.failing.add("P1")
    people = People("webex", directory.look_up)
    assert await people.person("P1", "ann@example.com") == Person(
        "webex", "P1", email="ann@example.com"
    )
    directory.failing.clear()
    found = await people.person("P1")
    assert found.name == "Name of P1"
    assert directory.calls == ["P1", "P1"]


async def test_the_email_that_came_with_the_message_wins() -> None:
    people = People("webex", Directory().look_up)
    assert (await people.person("P1", "ann.lee@example.com")).email == "ann.lee@example.com"
    assert (await people.person("P1")).email == "P1@example.com"


async def test_a_deadline_gives_the_id_alone_and_the_look_up_goes_on_for_later() -> None:
    directory = Directory()
    gate = directory.gates.setdefault("U1", asyncio.Event())
    people = People("slack", directory.look_up)
    # Slack's acknowledgement cannot wait: the preview goes ahead with the id alone.
    assert await people.person_within("U1", 0.01) == Person("slack", "U1")
    gate.set()
    found = await people.person("U1")  # the same look-up, not cancelled by the deadline
    assert found.email == "U1@example.com"
    assert directory.calls == ["U1"]
