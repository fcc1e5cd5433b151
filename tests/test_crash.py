"""kill -9 while a snapshot and a ten-minute clip are fetched: after the restart both are
delivered once, their progress messages end in a final state, and each is audited once.

`mvbot run` runs as a real process against the simulated cloud and the fake Slack; the
simulator's latency fault holds the Dashboard API requests so the kill lands mid-fetch.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.inflight import RESUMED
from bot.store import Outcome, Store
from simulator import Faults, SimulatorServer
from simulator.state import RequestRecord
from tests.bot_fixtures import API_KEY, bot_simulator_fixture  # noqa: F401
from tests.bot_process import mvbot_run
from tests.fake_slack import (  # noqa: F401
    BOT_TOKEN,
    SIGNING_SECRET,
    Call,
    FakeSlack,
    fake_slack_fixture,
    upload_to,
)
from tests.slack_requests import send_command

WAIT = 60.0  # a bound on each wait; every step here takes a few seconds
HOLD = 30.0  # seconds the simulator holds each API request before the kill


def run_env(simulator: SimulatorServer, fake: FakeSlack, data: Path) -> dict[str, str]:
    return {
        "MVBOT_MERAKI_API_KEY": API_KEY,
        "MVBOT_MERAKI_BASE_URL": simulator.api_url,
        "MVBOT_DATA_DIR": str(data),
        "MVBOT_SLACK_BOT_TOKEN": BOT_TOKEN,
        "MVBOT_SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "MVBOT_SLACK_API_URL": fake.api_url,
        "MVBOT_ACCESS_VIEWERS": "U1",
    }


def both_held(delayed: list[RequestRecord]) -> bool:
    paths = [record.path for record in delayed]
    return any(p.endswith("/camera/generateSnapshot") for p in paths) and any(
        p.endswith("/camera/clip") for p in paths
    )


def comment(call: Call) -> str:
    return str(call.params.get("initial_comment", ""))


async def test_kill_9_mid_fetch_loses_nothing(
    bot_simulator: SimulatorServer, fake: FakeSlack, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    env = run_env(bot_simulator, fake, data)
    async with mvbot_run(env) as first:
        bot_simulator.state.faults = Faults(latency=HOLD)  # after the camera list is loaded
        for text in ("snapshot lobby", "clip lobby 20m ago 10m"):
            assert (await send_command(first.url, fake, text)).status_code == 200
        await asyncio.to_thread(bot_simulator.state.wait_delayed, both_held, WAIT)
        first.process.kill()
        await first.process.wait()
    bot_simulator.state.faults = Faults()
    (progress,) = [c for c in fake.to("chat.postMessage") if "Fetching" in c.params["text"]]
    assert "2 parts" in progress.params["text"]
    assert not fake.to("files.completeUploadExternal")

    async with mvbot_run(env):

        def two_uploads(call: Call) -> bool:
            return upload_to("C1")(call) and len(fake.to("files.completeUploadExternal")) >= 2

        await fake.wait_for(two_uploads, WAIT)
    # Stopped (its running commands finished first): all it did is in the fake's record.
    uploads = fake.to("files.completeUploadExternal")
    assert len(uploads) == 2  # the snapshot and the clip, each once
    assert all(RESUMED in comment(c) for c in uploads), [comment(c) for c in uploads]
    # The old "Fetching…" message was taken over and edited to its last state.
    edits = fake.to("chat.update")
    assert edits and {c.params["ts"] for c in edits} == {edits[0].params["ts"]}
    assert edits[-1].params["text"].endswith("2/2")
    store = await Store.open(f"sqlite:///{data / 'mvbot.db'}")
    try:
        audit = await store.audit_rows()
    finally:
        await store.close()
    assert sorted((row.action, row.outcome) for row in audit) == [
        ("clip", Outcome.OK),
        ("snapshot", Outcome.OK),
    ]
