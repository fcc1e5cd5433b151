"""kill -9 halfway through an export: after the restart it finishes once, the parts on disk
before the kill are not requested again, and the file covers the span exactly.

`mvbot run` runs as a real process against the simulated cloud and the fake Slack; the
simulator's latency fault slows each request so that the kill lands between parts.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from simulator import Faults, SimulatorServer
from tests.bot_fixtures import (  # noqa: F401
    bot_simulator_fixture,
    open_video,
    sha256_of,
)
from tests.bot_process import mvbot_run
from tests.fake_slack import Call, FakeSlack, fake_slack_fixture  # noqa: F401
from tests.slack_requests import send_command
from tests.test_crash import WAIT, run_env

PARTS = 6  # one minute in parts of ten seconds
SETTINGS = '[exports]\npart_length = "10s"\nparallel = 1\n'


def text_of(call: Call) -> str:
    return str(call.params.get("text", ""))


def parts_on_record(data: Path) -> set[int]:
    with sqlite3.connect(data / "mvbot.db") as db:
        return {row[0] for row in db.execute("SELECT part FROM export_parts")}


async def test_kill_9_mid_export_resumes_without_fetching_again(
    bot_simulator: SimulatorServer, fake: FakeSlack, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    config = tmp_path / "mvbot.toml"
    config.write_text(SETTINGS)
    env = {
        **run_env(bot_simulator, fake, data),
        "MVBOT_ACCESS_OPERATORS": "U1",
        "MVBOT_CONFIG": str(config),
    }
    async with mvbot_run(env) as first:
        bot_simulator.state.faults = Faults(latency=0.4)  # after the camera list is loaded
        assert (await send_command(first.url, fake, "export lobby 10m ago 1m")).status_code == 200
        await fake.wait_for(lambda c: f"3/{PARTS} parts" in text_of(c), WAIT)
        first.process.kill()
        await first.process.wait()
    bot_simulator.state.faults = Faults()
    kept = parts_on_record(data)
    assert 3 <= len(kept) < PARTS, kept
    assert not [c for c in fake.to("chat.postMessage") if "is ready" in text_of(c)]

    async with mvbot_run(env):
        ready = await fake.wait_for(lambda c: "is ready" in text_of(c), WAIT)
    requested = [r for r in bot_simulator.state.requests if "/camera/clip" in r.path]
    # Every part was asked for once, but the one in flight at the kill (parallel = 1): had
    # the restart fetched the parts on record again, there would be 3 or more requests more.
    assert PARTS <= len(requested) <= PARTS + 1, len(requested)
    assert len([c for c in fake.to("chat.postMessage") if "is ready" in text_of(c)]) == 1
    (path,) = (data / "exports").glob("export1_*.mp4")
    assert sha256_of(path) in str(ready.params)
    video = open_video(path, around=tuple(10 * 5 * n for n in range(1, PARTS)))
    assert video.frames == 60 * 5 and abs(video.duration - 60) <= 1
    assert video.last_ms == video.first_ms + 60_000 - round(video.frame_ms)
    for join in range(50, 300, 50):  # no frame lost or repeated where the parts meet
        assert video.stripes[join] - video.stripes[join - 1] == round(video.frame_ms)
    assert not list((data / "exports").glob(".export1.parts"))
