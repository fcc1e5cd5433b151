"""At most one of every automatic post, never lost: kill -9 between a post and its record.

`mvbot run` runs as a real process against the simulator and the fake Slack. The fake
holds its answer to the post (Slack has the message; the bot never hears so) and the test
kills the process then, before the store can say "announced" or "done"; a restart on the
same data directory must find the post on Slack instead of posting it again.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from bot.events.hooks import SIGNATURE_HEADER, sign
from simulator import SimulatorServer
from tests.bot_fixtures import API_KEY, SIMULATOR_SETTINGS, bot_simulator_fixture  # noqa: F401
from tests.fake_slack import BOT_TOKEN, SIGNING_SECRET, Call, FakeSlack, running_fake_slack

ROOT = Path(__file__).parent.parent
SECRET = "once-hook-secret-7f1e"
ROOM = "C0ONCE"
DEADLINE = 60.0
LISTENING = re.compile(r"listening url=(http://[0-9.]+:\d+)")


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


@asynccontextmanager
async def mvbot(
    tmp_path: Path, simulator: SimulatorServer, slack: FakeSlack
) -> AsyncIterator[tuple[asyncio.subprocess.Process, str]]:
    """`mvbot run` on tmp_path's data directory; yields the process and its web URL."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("MVBOT_")},
        "MVBOT_CONFIG": str(config(tmp_path / "mvbot.toml")),
        "MVBOT_MERAKI_API_KEY": API_KEY,
        "MVBOT_MERAKI_BASE_URL": simulator.api_url,
        "MVBOT_DATA_DIR": str(tmp_path / "data"),
        "MVBOT_HTTP_PORT": "0",
        "MVBOT_SLACK_BOT_TOKEN": BOT_TOKEN,
        "MVBOT_SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "MVBOT_SLACK_API_URL": slack.api_url,
        "MVBOT_WEBHOOK_SECRET": SECRET,
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "run",
        cwd=ROOT,
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    url: asyncio.Future[str] = asyncio.get_running_loop().create_future()
    log: list[str] = []

    async def read_log() -> None:
        assert process.stderr is not None
        async for raw in process.stderr:  # drained to the end: a full pipe would block mvbot
            line = raw.decode(errors="replace")
            log.append(line)
            found = LISTENING.search(line)
            if found and not url.done():
                url.set_result(found.group(1))
        if not url.done():
            url.set_exception(RuntimeError("mvbot exited:\n" + "".join(log[-30:])))

    reader = asyncio.create_task(read_log())
    try:
        yield process, await asyncio.wait_for(url, DEADLINE)
    finally:
        if process.returncode is None:
            process.kill()
        await process.wait()
        await reader


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
        async with mvbot(tmp_path, bot_simulator, slack) as (process, url):
            gate = slack.hold("chat.postMessage", answered=True)
            await post_event(url)
            await slack.wait_for(heads_up, DEADLINE)
            process.send_signal(signal.SIGKILL)
            assert await process.wait() == -signal.SIGKILL
            gate.set()
        async with mvbot(tmp_path, bot_simulator, slack) as (process, url):
            first = slack.to("chat.postMessage")[0]
            assert first.params["metadata"]["event_payload"]["key"]
            await slack.wait_for(clip, DEADLINE)
            posted_in = slack.history[ROOM][0]["ts"]
            process.send_signal(signal.SIGTERM)
            await process.wait()
    assert len([c for c in slack.calls if heads_up(c)]) == 1
    (shared,) = [c for c in slack.calls if clip(c)]
    assert shared.params["thread_ts"] == posted_in  # in the one heads-up's thread


async def test_a_clip_posted_just_before_kill_9_is_not_posted_again(
    tmp_path: Path, bot_simulator: SimulatorServer
) -> None:
    async with running_fake_slack(tmp_path / "slack") as slack:
        async with mvbot(tmp_path, bot_simulator, slack) as (process, url):
            gate = slack.hold("files.completeUploadExternal", answered=True)
            await post_event(url)
            await slack.wait_for(clip, DEADLINE)
            process.send_signal(signal.SIGKILL)
            assert await process.wait() == -signal.SIGKILL
            gate.set()
        async with mvbot(tmp_path, bot_simulator, slack) as (process, url):
            # The restarted bot looks in the heads-up's thread before anything else.
            await slack.wait_for(lambda c: c.method == "conversations.replies", DEADLINE)
            process.send_signal(signal.SIGTERM)
            await process.wait()
    assert len([c for c in slack.calls if heads_up(c)]) == 1
    assert len([c for c in slack.calls if clip(c)]) == 1
    assert len([c for c in slack.calls if c.method == "files.getUploadURLExternal"]) == 1
