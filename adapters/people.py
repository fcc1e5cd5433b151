"""Who a chat user id is (name, e-mail, time zone): one cache for every platform's look-ups."""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import replace

from bot.messages import Person

# People rarely change e-mail or time zone; an hour keeps platform look-ups rare.
DEFAULT_TTL = 3600.0
# Far more people than one workspace asks the bot in an hour, and a few MB at most.
DEFAULT_SIZE = 10_000

# The platform's own look-up of one id: None when it failed (the platform logs why).
LookUp = Callable[[str], Awaitable[Person | None]]


class People:
    """Persons by platform user id, kept for `ttl` seconds, the `size` most recent.

    Concurrent asks for one id make one look-up. A failed look-up gives a Person with the
    id alone (plus the e-mail the platform sent with the message, if any), so rules by id
    still match, and is not remembered: the next command tries again.
    """

    def __init__(
        self,
        platform: str,
        look_up: LookUp,
        *,
        size: int = DEFAULT_SIZE,
        ttl: float = DEFAULT_TTL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._platform = platform
        self._look_up = look_up
        self._size = size
        self._ttl = ttl
        self._clock = clock
        self._known: OrderedDict[str, tuple[float, Person]] = OrderedDict()
        self._asking: dict[str, asyncio.Task[Person | None]] = {}

    async def person(self, user_id: str, email: str | None = None) -> Person:
        """Who `user_id` is; `email` is what the platform said of them with the message."""
        found = self._cached(user_id)
        if found is None:
            task = self._asking.get(user_id)
            if task is None:
                task = asyncio.create_task(self._fetch(user_id))
                self._asking[user_id] = task
                task.add_done_callback(lambda done: self._forget_task(user_id, done))
            # Shielded: one caller giving up (a deadline for an acknowledgement) must not
            # cancel the look-up that others wait for.
            found = await asyncio.shield(task)
        if found is None:
            return Person(self._platform, user_id, email=email)
        # The e-mail that came with the message is the one they used: it wins.
        return replace(found, email=email) if email and email != found.email else found

    async def person_within(self, user_id: str, seconds: float) -> Person:
        """The person if known within `seconds`, else the id alone (the look-up goes on)."""
        try:
            async with asyncio.timeout(seconds):
                return await self.person(user_id)
        except TimeoutError:
            return Person(self._platform, user_id)

    def __len__(self) -> int:
        return len(self._known)

    def _cached(self, user_id: str) -> Person | None:
        known = self._known.get(user_id)
        if known is None:
            return None
        if known[0] <= self._clock():
            del self._known[user_id]
            return None
        self._known.move_to_end(user_id)
        return known[1]

    async def _fetch(self, user_id: str) -> Person | None:
        person = await self._look_up(user_id)
        if person is not None:
            self._known[user_id] = (self._clock() + self._ttl, person)
            self._known.move_to_end(user_id)
            while len(self._known) > self._size:
                self._known.popitem(last=False)
        return person

    def _forget_task(self, user_id: str, task: asyncio.Task[Person | None]) -> None:
        if self._asking.get(user_id) is task:
            del self._asking[user_id]
