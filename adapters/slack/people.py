"""Slack users → Person (name, e-mail, time zone) from users.info, cached and coalesced."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.inbound import PLATFORM
from bot.messages import Person

log = logging.getLogger(__name__)

# People rarely change e-mail or time zone; an hour keeps users.info calls rare.
DEFAULT_TTL = 3600.0


def person_from_user(user: Mapping[str, Any]) -> Person:
    """A users.info `user` object as the core's Person."""
    profile = user.get("profile") or {}
    name = profile.get("display_name") or profile.get("real_name") or user.get("real_name")
    return Person(
        platform=PLATFORM,
        id=str(user["id"]),
        name=name or user.get("name") or None,
        email=profile.get("email") or None,
        time_zone=user.get("tz") or None,
    )


class People:
    """Who a Slack user id is. Concurrent asks for one id make one users.info call; a
    failed lookup gives a Person with the id alone (so rules by e-mail do not match) and
    is not remembered, so the next command tries again."""

    def __init__(
        self,
        client: AsyncWebClient,
        *,
        ttl: float = DEFAULT_TTL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._ttl = ttl
        self._clock = clock
        self._known: dict[str, tuple[float, Person]] = {}
        self._asking: dict[str, asyncio.Task[Person]] = {}

    async def person(self, user_id: str) -> Person:
        known = self._known.get(user_id)
        if known is not None and known[0] > self._clock():
            return known[1]
        task = self._asking.get(user_id)
        if task is None:
            task = asyncio.create_task(self._look_up(user_id))
            self._asking[user_id] = task
            task.add_done_callback(lambda done: self._forget_task(user_id, done))
        # Shielded: one caller giving up (a deadline for an acknowledgement) must not
        # cancel the lookup that others wait for.
        return await asyncio.shield(task)

    def _forget_task(self, user_id: str, task: asyncio.Task[Person]) -> None:
        if self._asking.get(user_id) is task:
            del self._asking[user_id]

    async def person_within(self, user_id: str, seconds: float) -> Person:
        """The person if known within `seconds`, else the id alone (the lookup goes on)."""
        try:
            async with asyncio.timeout(seconds):
                return await self.person(user_id)
        except TimeoutError:
            return Person(PLATFORM, user_id)

    async def _look_up(self, user_id: str) -> Person:
        try:
            answer = await self._client.users_info(user=user_id)
        except (SlackApiError, SlackClientError, aiohttp.ClientError, TimeoutError) as error:
            log.warning("users.info failed user=%s error=%r", user_id, error)
            return Person(PLATFORM, user_id)
        user = answer.get("user")
        if not isinstance(user, Mapping):
            return Person(PLATFORM, user_id)
        person = person_from_user(user)
        self._known[user_id] = (self._clock() + self._ttl, person)
        return person
