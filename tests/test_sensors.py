"""Sensors to cameras end to end: an MT door-open alert on /hooks/meraki, for a sensor linked
to two cameras, posts one heads-up on the fake Slack and both cameras' clips in its thread;
a hostile sensor name is shown as text; an unknown sensor is stored and counted, not told."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from bot.events.hooks import SIGNATURE_HEADER, sign
from simulator import SimulatorServer
from tests.bot_fixtures import bot_simulator_fixture  # noqa: F401
from tests.fake_slack import Call, FakeSlack, running_fake_slack
from tests.slack_requests import SlackBot, slack_bot

ROOM = "C1"
SECRET = "hook-secret-0123"
DEADLINE = 40.0
RECORDED = Path(__file__).parent / "data" / "meraki_mt_door_open.json"
HOSTILE = "<!channel> *Back* `door`"
OVERRIDES: Mapping[str, Any] = {
    "access": {"default_role": "viewer", "admins": ["U1"]},
    "webhooks": {"secret": SECRET},
    "events": {
        "routes": [{"rooms": [f"slack:{ROOM}"]}],
        "meraki_pre_roll": "3s",
        "meraki_post_roll": "3s",
        "pre_roll": "3s",
        "post_roll": "3s",
    },
    "plates": {"snapshot": False},
    "sensors": {"links": {HOSTILE: ["Lobby"]}},
}


def door_open(at: datetime, serial: str = "Q3CA-DOOR-0001", name: str = "Back door") -> bytes:
    """The recorded MT alert, sent now for a door opened at `at`."""
    body = json.loads(RECORDED.read_text())
    body.update(sharedSecret=SECRET, deviceSerial=serial, deviceName=name)
    body.update(occurredAt=at.isoformat(), sentAt=datetime.now(UTC).isoformat())
    body["alertId"] = f"{body['alertId']}-{serial}"
    body["alertData"]["triggerData"][0]["trigger"]["ts"] = at.timestamp()
    return json.dumps(body).encode()


async def hook(bot: SlackBot, body: bytes) -> httpx.Response:
    async with httpx.AsyncClient(timeout=DEADLINE) as http:
        return await http.post(f"{bot.url}/hooks/meraki", content=body)


def posts(fake: FakeSlack) -> list[Call]:
    """The bot's messages in the room itself (not in a thread)."""
    return [
        c
        for c in fake.to("chat.postMessage")
        if c.params.get("channel") == ROOM and not c.params.get("thread_ts")
    ]


def uploads(fake: FakeSlack) -> list[Call]:
    return [c for c in fake.to("files.completeUploadExternal") if c.params.get("channel_id")]


def mrkdwn(value: Any) -> list[str]:
    """Every mrkdwn text in a Block Kit structure (plain_text shows markup as typed)."""
    if isinstance(value, list):
        return [t for item in value for t in mrkdwn(item)]
    if not isinstance(value, dict):
        return []
    own = [value["text"]] if value.get("type") == "mrkdwn" else []
    return own + [t for v in value.values() for t in mrkdwn(v)]


async def test_a_door_opening_posts_one_heads_up_and_each_linked_cameras_clip(
    tmp_path: Path, bot_simulator: SimulatorServer
) -> None:
    async with (
        running_fake_slack(tmp_path / "slack") as fake,
        slack_bot(bot_simulator, fake, tmp_path / "data", overrides=OVERRIDES) as bot,
    ):
        await bot.command('link sensor "Back door" to lobby, garage entrance', channel=ROOM)
        await fake.wait_for(lambda c: "Linked sensor" in json.dumps(c.params), DEADLINE)
        linked = len(posts(fake))
        at = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=8)
        answer = await hook(bot, door_open(at))
        assert answer.status_code == 202, answer.text
        await fake.wait_for(lambda c: len(uploads(fake)) >= 2, DEADLINE)
        assert await bot.running.pending.wait_idle(DEADLINE)
        retried = await hook(bot, door_open(at))  # Meraki's retry of the same alert
        assert retried.json() == {"status": "duplicate"}
    (heads_up,) = posts(fake)[linked:]
    text = json.dumps(heads_up.params)
    assert "Door opened" in text and "Back door" in text
    assert "Lobby" in text and "Garage Entrance" in text
    ts = next(m["ts"] for m in fake.history[ROOM] if m["text"] == heads_up.params["text"])
    clips = uploads(fake)
    assert len(clips) == 2 and {c.params["thread_ts"] for c in clips} == {ts}
    names = json.dumps([c.params for c in clips])
    assert "Lobby" in names and "Garage" in names


async def test_a_hostile_sensor_name_is_text_and_an_unknown_sensor_tells_nobody(
    tmp_path: Path, bot_simulator: SimulatorServer
) -> None:
    async with (
        running_fake_slack(tmp_path / "slack") as fake,
        slack_bot(bot_simulator, fake, tmp_path / "data", overrides=OVERRIDES) as bot,
    ):
        at = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=8)
        unknown = await hook(bot, door_open(at, serial="Q3CA-NONE-0009", name="Side door"))
        assert unknown.status_code == 200 and unknown.json()["status"] == "unknown_sensor"
        event = {"sensor": "Side door", "time": at.isoformat(), "title": "Door forced"}
        raw = json.dumps(event).encode()
        async with httpx.AsyncClient(timeout=DEADLINE) as http:
            generic = await http.post(
                f"{bot.url}/hooks/events",
                content=raw,
                headers={SIGNATURE_HEADER: sign(raw, SECRET)},
            )
        assert generic.status_code == 200 and generic.json()["status"] == "unknown_sensor"
        answer = await hook(bot, door_open(at, serial="Q3CA-EVIL-0002", name=HOSTILE))
        assert answer.status_code == 202, answer.text
        await fake.wait_for(lambda c: bool(posts(fake)), DEADLINE)
        events = await bot.running.events.alert_ledger.events()
        unknowns = bot.running.services.metrics.value("mvbot_sensor_events_total", status="unknown")
    (heads_up,) = posts(fake)
    text = heads_up.params["text"]
    # Wherever Slack reads markup, the name is text: no @channel, no bold, no code.
    marked_up = [text, *mrkdwn(heads_up.params["blocks"])]
    assert all("<!channel>" not in t for t in marked_up)
    assert "&lt;!channel&gt;" in text and "Side door" not in json.dumps(heads_up.params)
    stored = [e for e in events if e.status == "unknown_sensor"]
    assert [e.detail for e in stored] == ["no camera is linked to sensor Side door"] * 2
    assert unknowns == 2
