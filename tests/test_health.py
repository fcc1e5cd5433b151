"""Camera health end to end: the simulator takes a camera offline and back over HTTP, mvbot
polls it, and the room that follows health on the fake Slack hears once per change, also
across a restart; a flap shorter than the debounce tells nobody."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from simulator import SimulatorServer
from tests.bot_fixtures import bot_simulator_fixture  # noqa: F401
from tests.fake_slack import Call, FakeSlack, running_fake_slack
from tests.slack_requests import SlackBot, slack_bot

ROOM = "C1"
SECRET = "hook-secret-0123"
LOBBY = "Q2FV-LBBY-0001"
DEADLINE = 30.0
SERVER_ROOM = "Q2HV-SRVR-0003"  # tagged restricted: only C-secure may hear of it
ACCESS = {
    "default_role": "viewer",
    "operators": ["U1"],
    "restricted_tags": {"restricted": ["C-secure"]},
}


def overrides(debounce: str) -> Mapping[str, Any]:
    return {"access": ACCESS, "health": {"poll_interval": "0.2s", "debounce": debounce}}


async def control(simulator: SimulatorServer, serial: str, status: str) -> None:
    async with httpx.AsyncClient() as http:
        answer = await http.post(f"{simulator.url}/control/cameras/{serial}/{status}")
    assert answer.json() == {"serial": serial, "status": status}


def posted(fake: FakeSlack, words: str) -> list[Call]:
    return [
        c
        for c in fake.to("chat.postMessage")
        if c.params.get("channel") == ROOM and words in json.dumps(c.params)
    ]


async def follow(bot: SlackBot, fake: FakeSlack) -> None:
    await bot.command("follow health", user="U1", channel=ROOM)
    await fake.wait_for(lambda c: bool(posted(fake, "follows camera health")), DEADLINE)


async def polls(bot: SlackBot, more: int) -> None:
    """Wait until `more` polls have started and ended after this moment."""
    monitor = bot.running.health
    assert await monitor.wait_polls(monitor.polls + more + 1, DEADLINE)


async def test_an_outage_is_told_once_and_its_end_once_across_a_restart(
    tmp_path: Path, bot_simulator: SimulatorServer
) -> None:
    data = tmp_path / "data"
    async with running_fake_slack(tmp_path / "slack") as fake:
        async with slack_bot(bot_simulator, fake, data, overrides=overrides("1s")) as bot:
            await follow(bot, fake)
            await control(bot_simulator, LOBBY, "offline")
            await fake.wait_for(lambda c: bool(posted(fake, "is offline since")), DEADLINE)
            await polls(bot, 2)
        # A new process on the same store: it knows Lobby is offline and since when.
        async with slack_bot(bot_simulator, fake, data, overrides=overrides("1s")) as bot:
            await polls(bot, 3)
            assert len(posted(fake, "is offline since")) == 1
            await bot.command("cameras", user="U1", channel=ROOM)
            await fake.wait_for(lambda c: bool(posted(fake, "offline since")), DEADLINE)
            await control(bot_simulator, LOBBY, "online")
            await fake.wait_for(lambda c: bool(posted(fake, "is back online")), DEADLINE)
            await polls(bot, 3)
    (offline,) = posted(fake, "is offline since")
    (online,) = posted(fake, "is back online")
    assert "Lobby" in offline.params["text"] and "Lobby" in online.params["text"]
    (listing,) = [c for c in posted(fake, "offline since") if c not in (offline,)]
    # The listing after the restart says since when as the notice before it did.
    since = re.search(r"offline since ([^.]+)\.", offline.params["text"])
    assert since is not None and f"offline since {since[1]}" in json.dumps(listing.params)
    # Other cameras of the fleet (one is offline from the start) were never news.
    assert len(posted(fake, "offline since")) == 2


async def test_a_flap_shorter_than_the_debounce_and_a_restricted_camera_tell_nobody(
    tmp_path: Path, bot_simulator: SimulatorServer
) -> None:
    data = tmp_path / "data"
    async with (
        running_fake_slack(tmp_path / "slack") as fake,
        slack_bot(bot_simulator, fake, data, overrides=overrides("3s")) as bot,
    ):
        await follow(bot, fake)
        monitor = bot.running.health
        await control(bot_simulator, SERVER_ROOM, "offline")
        await control(bot_simulator, LOBBY, "offline")
        await polls(bot, 1)
        seen = monitor.state(LOBBY)
        assert seen is not None and seen.seen == "offline"
        flapped = monitor.clock()
        await control(bot_simulator, LOBBY, "online")
        # Every poll until well past the debounce of the outage's start.
        while (monitor.clock() - flapped).total_seconds() < 3.5:
            await polls(bot, 1)
        assert monitor.offline_since(LOBBY) is None
        assert monitor.offline_since(SERVER_ROOM) is not None  # a change, for other rooms
    assert posted(fake, "is offline since") == [] and posted(fake, "is back online") == []


def reporting_alert(serial: str, kind: str, alert_id: str) -> bytes:
    """A Meraki webhook saying the camera stopped (or started) reporting, just now."""
    now = datetime.now(UTC)
    body = {
        "version": "0.1",
        "sharedSecret": SECRET,
        "sentAt": now.isoformat(),
        "organizationId": "549236",
        "networkId": "L_646829496481105433",
        "deviceSerial": serial,
        "deviceName": "Lobby",
        "alertId": alert_id,
        "alertType": "Camera went offline" if kind == "stopped_reporting" else "Camera online",
        "alertTypeId": kind,
        "alertLevel": "critical",
        "occurredAt": now.isoformat(),
        "alertData": {},
    }
    return json.dumps(body).encode()


async def test_meraki_offline_and_back_alerts_are_told_once_without_polling(
    tmp_path: Path, bot_simulator: SimulatorServer
) -> None:
    settings = {
        **overrides("1s"),
        "health": {"poll_interval": "0s", "debounce": "1s"},
        "webhooks": {"secret": SECRET},
    }
    async with (
        running_fake_slack(tmp_path / "slack") as fake,
        slack_bot(bot_simulator, fake, tmp_path / "data", overrides=settings) as bot,
        httpx.AsyncClient(base_url=bot.url, timeout=DEADLINE) as http,
    ):
        # Known to the monitor first (as a poll would have made it), then the alerts.
        await bot.running.health.observe([(LOBBY, "online", datetime.now(UTC))])
        await follow(bot, fake)
        down = reporting_alert(LOBBY, "stopped_reporting", "a-1")
        for _ in range(2):  # Meraki's retry of the same alert is one alert
            answer = await http.post("/hooks/meraki", content=down)
            assert answer.status_code == 200, answer.text
        await fake.wait_for(lambda c: bool(posted(fake, "is offline since")), DEADLINE)
        up = reporting_alert(LOBBY, "started_reporting", "a-2")
        assert (await http.post("/hooks/meraki", content=up)).json()["status"] == "health"
        await fake.wait_for(lambda c: bool(posted(fake, "is back online")), DEADLINE)
        assert bot.running.health.polls == 0
    assert len(posted(fake, "is offline since")) == len(posted(fake, "is back online")) == 1
