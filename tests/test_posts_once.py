"""At most one of every automatic post, never lost: kill -9 between a post and its record.

`mvbot run` runs as a real process against the simulator and the fake Slack. The fake
holds its answer to the post (Slack has the message; the bot never hears so) and the test
kills the process then, before the store can say "announced" or "done"; a restart on the
same data directory must find the post on Slack instead of posting it again.
"""

from __future__ import annotations

import json
import signal
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from bot.events.hooks import SIGNATURE_HEADER, sign
from simulator import SimulatorServer
from tests.bot_fixtures import API_KEY, SIMULATOR_SETTINGS, bot_simulator_fixture  # noqa: F401
from tests.bot_process import mvbot_run
from tests.fake_slack import BOT_TOKEN, SIGNING_SECRET, Call, FakeSlack, running_fake_slack

SECRET = "once-hook-secret-7f1e"
ROOM = "C0ONCE"
DEADLINE = 60.0


def config(path: Path) -> Path:
    lag = f"{SIMULATOR_SETTINGS['availability_lag']:g}s"
    path.write_text(
        f"""
[access]
default_role = "viewer"

[clips]
availability_lag = "{lag}"

[plates]
snapshot = false

[events]
pre_roll = "2s"
post_roll = "3s"

[[events.routes]]
rooms = ["slack:{ROOM}"]
cameras = ["Lobby"]
"""
    )
    return path


def settings(tmp_path: Path, simulator: SimulatorServer, slack: FakeSlack) -> dict[str, str]:
    """`mvbot run`'s settings on tmp_path's data directory."""
    return {
        "MVBOT_CONFIG": str(config(tmp_path / "mvbot.toml")),
        "MVBOT_MERAKI_API_KEY": API_KEY,
        "MVBOT_MERAKI_BASE_URL": simulator.api_url,
        "MVBOT_DATA_DIR": str(tmp_path / "data"),
        "MVBOT_SLACK_BOT_TOKEN": BOT_TOKEN,
        "MVBOT_SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "MVBOT_SLACK_API_URL": slack.api_url,
        "MVBOT_WEBHOOK_SECRET": SECRET,
    }


async def post_event(url: str) -> None:
    # A minute ago: the footage is in the cloud by the time the clip is fetched.
    at = datetime.now(UTC) - timedelta(minutes=1)
    raw = json.dumps({"camera": "lobby", "time": at.isoformat(), "title": "Till opened"})
    async with httpx.AsyncClient(timeout=DEADLINE) as http:
        response = await http.post(
            f"{url}/hooks/events",
            content=raw.encode(),
            headers={SIGNATURE_HEADER: sign(raw.encode(), SECRET)},
        )
    assert response.status_code == 202, response.text


def heads_up(call: Call) -> bool:
    return (
        call.method == "chat.postMessage"
        and call.params.get("channel") == ROOM
        and not call.params.get("thread_ts")
    )


def clip(call: Call) -> bool:
    return call.method == "files.completeUploadExternal" and call.params.get("channel_id") == ROOM


async def test_a_heads_up_posted_just_before_kill_9_is_not_posted_again(
    tmp_path: Path, bot_simulator: SimulatorServer
) -> None:
    async with running_fake_slack(tmp_path / "slack") as slack:
        async with mvbot_run(settings(tmp_path, bot_simulator, slack)) as bot:
            gate = slack.hold("chat.postMessage", answered=True)
            await post_event(bot.url)
            await slack.wait_for(heads_up, DEADLINE)
            bot.process.send_signal(signal.SIGKILL)
            assert await bot.process.wait() == -signal.SIGKILL
            gate.set()
        async with mvbot_run(settings(tmp_path, bot_simulator, slack)) as bot:
            first = slack.to("chat.postMessage")[0]
            assert first.params["metadata"]["event_payload"]["key"]
            await slack.wait_for(clip, DEADLINE)
            posted_in = slack.history[ROOM][0]["ts"]
            bot.process.send_signal(signal.SIGTERM)
            await bot.process.wait()
    assert len([c for c in slack.calls if heads_up(c)]) == 1
    (shared,) = [c for c in slack.calls if clip(c)]
    assert shared.params["thread_ts"] == posted_in  # in the one heads-up's thread


async def test_a_clip_posted_just_before_kill_9_is_not_posted_again(
    tmp_path: Path, bot_simulator: SimulatorServer
) -> None:
    async with running_fake_slack(tmp_path / "slack") as slack:
        async with mvbot_run(settings(tmp_path, bot_simulator, slack)) as bot:
            gate = slack.hold("files.completeUploadExternal", answered=True)
            await post_event(bot.url)
            await slack.wait_for(clip, DEADLINE)
            bot.process.send_signal(signal.SIGKILL)
            assert await bot.process.wait() == -signal.SIGKILL
            gate.set()
        async with mvbot_run(settings(tmp_path, bot_simulator, slack)) as bot:
            # The restarted bot looks in the heads-up's thread before anything else.
            await slack.wait_for(lambda c: c.method == "conversations.replies", DEADLINE)
            bot.process.send_signal(signal.SIGTERM)
            await bot.process.wait()
    assert len([c for c in slack.calls if heads_up(c)]) == 1
    assert len([c for c in slack.calls if clip(c)]) == 1
    assert len([c for c in slack.calls if c.method == "files.getUploadURLExternal"]) == 1
