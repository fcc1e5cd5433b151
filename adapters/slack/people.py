"""Slack users → Person (name, e-mail, time zone): users.info, for the shared people cache."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.people import LookUp, People
from adapters.slack.inbound import PLATFORM
from bot.messages import Person

log = logging.getLogger(__name__)


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


def users_info(client: AsyncWebClient) -> LookUp:
    """Look a user up with users.info; None (logged) when Slack cannot say."""

    async def look_up(user_id: str) -> Person | None:
        try:
            answer = await client.users_info(user=user_id)
        except (SlackApiError, SlackClientError, aiohttp.ClientError, TimeoutError) as error:
            log.warning("users.info failed user=%s error=%r", user_id, error)
            return None
        user = answer.get("user")
        return person_from_user(user) if isinstance(user, Mapping) else None

    return look_up


def slack_people(client: AsyncWebClient) -> People:
    return People(PLATFORM, users_info(client))
