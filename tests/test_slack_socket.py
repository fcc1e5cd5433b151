"""Socket Mode end to end: with an app token the bot dials the fake Slack's WebSocket and
needs no public URL; commands, mentions and buttons arrive as envelopes it acknowledges."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from simulator import SimulatorServer
from tests.bot_fixtures import bot_simulator_fixture  # noqa: F401
from tests.fake_slack import (
    APP_TOKEN,
    BOT_USER,
    message_to,
    running_fake_slack,
)
from tests.slack_requests import (
    block_actions,
    event_callback,
    slack_bot,
    slash_command,
)

WAIT = 30.0


async def test_socket_mode_takes_commands_mentions_and_buttons_without_a_public_url(
    bot_simulator: SimulatorServer, tmp_path: Path
) -> None:
    async with (
        running_fake_slack(tmp_path / "slack") as fake,
        slack_bot(bot_simulator, fake, tmp_path / "data", socket=True) as slack,
    ):
        assert slack.adapter.routes() == []  # nothing listens for Slack on the web server
        (dial,) = fake.to("apps.connections.open")
        assert dial.headers["authorization"] == f"Bearer {APP_TOKEN}"

        command = slash_command("cameras", user="U1", channel="C5", response_url="")
        async with asyncio.timeout(WAIT):
            ack = await fake.push("slash_commands", command)
        assert ack["payload"]["response_type"] == "ephemeral" and ack["payload"]["text"]
        listing = await fake.wait_for(message_to("C5"), WAIT)
        assert "Lobby" in json.dumps(listing.params["blocks"])

        mention = {
            "type": "app_mention",
            "user": "U2",
            "text": f"<@{BOT_USER}> help",
            "channel": "C6",
            "ts": "1700000000.000300",
        }
        async with asyncio.timeout(WAIT):
            await fake.push("events_api", event_callback(mention))
        await fake.wait_for(message_to("C6"), WAIT)

        button = {"action_id": "mvbot:0", "value": "cameras", "text": {"text": "Cameras"}}
        press = block_actions(
            button, user="U1", channel="C7", message_ts="1.000001", response_url=""
        )
        async with asyncio.timeout(WAIT):
            await fake.push("interactive", press)
        pressed = await fake.wait_for(message_to("C7"), WAIT)
        assert "<@U1> pressed “Cameras”" in json.dumps(pressed.params["blocks"], ensure_ascii=False)

        await slack.running.runner.idle()
        rows = await slack.running.services.store.audit_rows()
        assert sorted((r.person_id, r.command) for r in rows) == [
            ("U1", "cameras"),
            ("U1", "cameras"),
            ("U2", "help"),
        ]
