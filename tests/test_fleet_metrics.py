"""A replica's /metrics times what a fleet's operator watches: slash-command acknowledgements,
clips from ask to post (at once and deferred), scheduled jobs' lag, and plate ingest lag.

`mvbot run` runs as a real process against the simulator, the fake Slack and a real
Mosquitto, on SQLite and on PostgreSQL; the test reads /metrics over HTTP as Prometheus does.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from paho.mqtt import publish

from adapters.slack.transport import is_slash_command
from bot.clips.retries import READY_MARGIN
from bot.telemetry.latency import (
    CLIP_DELIVERY,
    JOB_LAG,
    MQTT_INGEST_LAG,
    SLASH_ACK,
    reads_committed,
)
from bot.telemetry.metrics import Metrics
from simulator import SimulatorServer
from tests.bot_fixtures import API_KEY, SIMULATOR_SETTINGS, bot_simulator_fixture  # noqa: F401
from tests.bot_process import mvbot_run
from tests.db_fixtures import database_url_fixture  # noqa: F401
from tests.fake_slack import BOT_TOKEN, SIGNING_SECRET, FakeSlack, running_fake_slack, upload_to
from tests.metrics_text import Samples
from tests.mosquitto import Mosquitto, mosquitto_fixture  # noqa: F401
from tests.slack_requests import event_callback, json_body, send_command, signed_headers

REPLICA = "fleet-a"
DEADLINE = 60.0  # a deferred clip here is due about 10 s after it is asked for


def settings(
    tmp_path: Path, database_url: str, simulator: SimulatorServer, slack: FakeSlack, mqtt: str
) -> dict[str, str]:
    config = tmp_path / "mvbot.toml"
    lag = f"{SIMULATOR_SETTINGS['availability_lag']:g}s"
    config.write_text(f'[access]\ndefault_role = "viewer"\n\n[clips]\navailability_lag = "{lag}"\n')
    return {
        "MVBOT_CONFIG": str(config),
        "MVBOT_REPLICA_ID": REPLICA,
        "MVBOT_DATABASE_URL": database_url,
        "MVBOT_MERAKI_API_KEY": API_KEY,
        "MVBOT_MERAKI_BASE_URL": simulator.api_url,
        "MVBOT_DATA_DIR": str(tmp_path / "data"),
        "MVBOT_MQTT_URL": mqtt,
        "MVBOT_SLACK_BOT_TOKEN": BOT_TOKEN,
        "MVBOT_SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "MVBOT_SLACK_API_URL": slack.api_url,
    }


async def scrape_until(url: str, ready: Callable[[Samples], bool]) -> Samples:
    """/metrics, read again until `ready` holds (the observations follow the posts they time)."""
    async with httpx.AsyncClient(timeout=10.0) as http, asyncio.timeout(DEADLINE):
        while True:
            response = await http.get(f"{url}/metrics")
            assert response.status_code == 200
            samples = Samples(response.text)
            if ready(samples):
                return samples
            await asyncio.sleep(0.2)


def plate(payload: dict[str, object], port: int) -> None:
    publish.single("/merakimv/Q2XX-LOBBY/lpr", json.dumps(payload), qos=1, port=port)


async def test_a_replica_times_acknowledgements_clips_jobs_and_plate_ingest(
    tmp_path: Path,
    database_url: str,
    bot_simulator: SimulatorServer,
    mosquitto: Mosquitto,
) -> None:
    async with running_fake_slack(tmp_path / "slack") as slack:
        env = settings(tmp_path, database_url, bot_simulator, slack, mosquitto.url)
        async with mvbot_run(env) as bot:
            now = await send_command(bot.url, slack, "clip lobby 10m ago 5s", channel="C1")
            later = await send_command(bot.url, slack, "clip lobby now 2s", channel="C2")
            # An event is answered on the same route, but it is not a slash command.
            body = json_body(event_callback({"type": "reaction_added", "user": "U1"}))
            async with httpx.AsyncClient() as http:
                headers = signed_headers(body, form=False)
                event = await http.post(f"{bot.url}/slack/events", content=body, headers=headers)
            assert [now.status_code, later.status_code] == [200, 200]
            assert event.status_code != 401  # signed: it reached bolt
            # A plate read two minutes old (say, queued by the broker while mvbot was down).
            old = datetime.now(UTC) - timedelta(minutes=2)
            await asyncio.to_thread(
                plate, {"plate": "ABC1234", "ts": int(old.timestamp())}, mosquitto.port
            )
            await slack.wait_for(upload_to("C1"), DEADLINE)
            await slack.wait_for(upload_to("C2"), DEADLINE)
            who = {"replica": REPLICA}
            samples = await scrape_until(
                bot.url,
                lambda s: (
                    s.count(CLIP_DELIVERY, path="deferred", **who) >= 1
                    and s.count(CLIP_DELIVERY, path="direct", **who) >= 1
                    and s.count(MQTT_INGEST_LAG, **who) >= 1
                ),
            )

    assert samples.count(SLASH_ACK, platform="slack", **who) == 2
    assert samples.count(CLIP_DELIVERY, path="direct", **who) == 1
    assert samples.count(CLIP_DELIVERY, path="deferred", **who) == 1
    # Timed from the ask, not from the fetch: the deferred clip was promised for later.
    deferred = samples.get(f"{CLIP_DELIVERY}_sum", {"path": "deferred", **who})
    assert deferred >= READY_MARGIN.total_seconds()
    assert samples.count(JOB_LAG, kind="clip", **who) >= 1
    # The old read's age, not the moment it was stored: above a minute.
    assert samples.above(MQTT_INGEST_LAG, "60.0", **who) >= 1


def test_a_read_timed_ahead_of_the_clock_counts_as_no_lag() -> None:
    metrics = Metrics(replica="r")
    now = datetime.now(UTC)
    reads_committed(metrics, now + timedelta(seconds=30), now)
    samples = Samples(metrics.exposition())
    assert samples.count(MQTT_INGEST_LAG, replica="r") == 1
    assert samples.get(f"{MQTT_INGEST_LAG}_sum", {"replica": "r"}) == 0


def test_only_slash_command_bodies_count_as_slash_commands() -> None:
    assert is_slash_command(b"token=x&command=%2Fmv&text=clip+lobby")
    assert not is_slash_command(b'{"type": "event_callback", "command=": 1}')
    assert not is_slash_command(b"payload=%7B%22command%3D%22%7D")  # a button press
    assert not is_slash_command(b"text=x&payload=command=1")  # a value, not the field
