"""Three `mvbot run` replicas on one PostgreSQL and one Mosquitto share a burst of plate reads:
every read stored once, one sighting and one heads-up and clip for the watched car, and that
still holds when the replica processing plates is killed with -9 mid-burst and restarted.

Real processes (tests/bot_process.py), the simulator over HTTP, a fake Slack. PostgreSQL
only: SQLite is one process by design.
"""

from __future__ import annotations

import asyncio
import json
import random
import signal
import string
import time
from collections.abc import Callable
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from bot.events.lpr import PlatePattern
from bot.events.watchlist import Watchlist
from bot.messages import Place
from bot.store import Store, create_database_engine
from simulator import SimulatorServer
from simulator.mqtt import FleetPublisher, PlateNoise, lpr_topic
from tests.bot_fixtures import API_KEY, SIMULATOR_SETTINGS, bot_simulator_fixture  # noqa: F401
from tests.bot_process import BotProcess, mvbot_run
from tests.db_fixtures import postgres_url_fixture  # noqa: F401
from tests.fake_slack import BOT_TOKEN, SIGNING_SECRET, Call, FakeSlack, running_fake_slack
from tests.mosquitto import Mosquitto, mosquitto_fixture, publish_all  # noqa: F401

pytestmark = pytest.mark.long  # minutes in all: started first (tests/conftest.py)

ROOM = "C0PLATES"
GARAGE = "Q2GV-GRGE-0002"  # "Garage Entrance", an LPR camera of the simulated fleet
DISTINCT = 1000
WATCHED_READS = 50
DEADLINE = 120.0  # seconds for the whole burst to be stored and processed, on a busy machine


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

[mqtt]
client_id = "mvbot-replicas"
""",
        encoding="utf-8",
    )
    return path


def settings(
    tmp_path: Path, database: str, broker: Mosquitto, sim: SimulatorServer, slack: FakeSlack
) -> Callable[[int], dict[str, str]]:
    """Replica n's `mvbot run` settings: all share the database, the broker and the data."""

    def of(n: int) -> dict[str, str]:
        return {
            "MVBOT_CONFIG": str(config(tmp_path / "mvbot.toml")),
            "MVBOT_DATABASE_URL": database,
            "MVBOT_DATA_DIR": str(tmp_path / "data"),
            "MVBOT_MERAKI_API_KEY": API_KEY,
            "MVBOT_MERAKI_BASE_URL": sim.api_url,
            "MVBOT_MQTT_URL": broker.url,
            "MVBOT_REPLICA_ID": f"plates-{n}",
            "MVBOT_SLACK_BOT_TOKEN": BOT_TOKEN,
            "MVBOT_SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "MVBOT_SLACK_API_URL": slack.api_url,
        }

    return of


def distinct_reads(count: int, start: datetime) -> list[bytes]:
    """`count` reads of as many random plates, a second apart: none is the watched car."""
    rng = random.Random(16)
    alphabet = string.ascii_uppercase + string.digits
    plates: set[str] = set()
    while len(plates) < count:
        plates.add("".join(rng.choice(alphabet) for _ in range(7)))
    return [
        json.dumps(
            {"ts": round((start.timestamp() + n) * 1000), "plate": plate, "confidence": 0.95}
        ).encode()
        for n, plate in enumerate(sorted(plates))
    ]


def counts(engine: Engine, watched_since: datetime) -> tuple[int, int, int, list[int]]:
    """Reads stored, distinct messages among them, reads unprocessed, and the read count of
    each sighting the watched car's reads went into."""
    with engine.connect() as connection:
        stored, keys, waiting = connection.execute(
            text(
                "SELECT count(*), count(DISTINCT key), count(*) FILTER (WHERE NOT processed) "
                "FROM plate_reads"
            )
        ).one()
        sightings = list(
            connection.execute(
                text(
                    "SELECT reads FROM plate_sightings WHERE id IN "
                    "(SELECT sighting_id FROM plate_reads WHERE at >= :since)"
                ),
                {"since": watched_since},
            ).scalars()
        )
    return stored, keys, waiting, sightings


async def until(check: Callable[[], bool], what: str, timeout: float = DEADLINE) -> None:  # noqa: ASYNC109
    """Wait for `check` (a look at the database or a log): replicas are other processes,
    nothing in this one is told when they are done."""
    ends = time.monotonic() + timeout
    while not await asyncio.to_thread(check):
        assert time.monotonic() < ends, f"gave up waiting for {what}"
        await asyncio.sleep(0.2)


def logged(replica: BotProcess, fragment: str) -> Callable[[], bool]:
    return lambda: any(fragment in line for line in replica.log)


def heads_up(call: Call) -> bool:
    return (
        call.method == "chat.postMessage"
        and call.params.get("channel") == ROOM
        and not call.params.get("thread_ts")
    )


def clip(call: Call) -> bool:
    return call.method == "files.completeUploadExternal" and call.params.get("channel_id") == ROOM


async def watch(database: str) -> None:
    """Room ROOM watches the car, as `watch plate ABC1234` there would."""
    store = await Store.open(database)  # brings the schema up before the replicas start
    try:
        place = Place("slack", ROOM)
        await Watchlist(store.engine).add_watch(place, PlatePattern("ABC1234"), None, None, "U1")
    finally:
        await store.close()


async def test_three_replicas_store_every_read_once_and_tell_the_watched_car_once(
    tmp_path: Path, postgres_url: str, mosquitto: Mosquitto, bot_simulator: SimulatorServer
) -> None:
    await watch(postgres_url)
    engine = create_database_engine(postgres_url)
    now = datetime.now(UTC)
    burst = distinct_reads(DISTINCT, now - timedelta(minutes=30))
    fleet = FleetPublisher(mosquitto.url, bot_simulator.fleet, seed=16, noise=PlateNoise(0.3, 0.3))
    try:
        async with running_fake_slack(tmp_path / "slack") as slack, AsyncExitStack() as stack:
            replica = settings(tmp_path, postgres_url, mosquitto, bot_simulator, slack)
            bots = [await stack.enter_async_context(mvbot_run(replica(n))) for n in range(3)]
            for bot in bots:
                await until(logged(bot, "topics=$share/mvbot/"), "each replica to subscribe")
            lock = "plate processing lock taken"
            await until(lambda: any(logged(b, lock)() for b in bots), "one replica to process")
            (victim,) = [n for n, bot in enumerate(bots) if logged(bot, lock)()]

            # Half the burst; the replica that processes plates is killed as reads arrive.
            half = DISTINCT // 2
            publishing = asyncio.create_task(
                asyncio.to_thread(publish_all, mosquitto.port, lpr_topic(GARAGE), burst[:half])
            )
            await until(lambda: counts(engine, now)[0] >= half // 3, "reads to be stored")
            bots[victim].process.send_signal(signal.SIGKILL)
            assert await bots[victim].process.wait() == -signal.SIGKILL
            await publishing
            # The database released the dead replica's lock: a survivor processes now.
            survivors = [bot for n, bot in enumerate(bots) if n != victim]
            await until(lambda: any(logged(b, lock)() for b in survivors), "a survivor to process")

            # The rest, and the watched car, while it is down: its share waits at the broker.
            await asyncio.to_thread(publish_all, mosquitto.port, lpr_topic(GARAGE), burst[half:])
            fleet.start()
            # In real time, so that the car's reads reach the replicas in turns (and the
            # dead one's share waits for it) while the sighting grows.
            detected = datetime.now(UTC)
            await asyncio.to_thread(
                fleet.publish_plate,
                GARAGE,
                "ABC-1234",
                detected,
                reads=WATCHED_READS,
                spread=8.0,
                pace=True,
            )
            back = await stack.enter_async_context(mvbot_run(replica(victim)))
            await until(logged(back, "session_present=True"), "the same session to be back")

            total = DISTINCT + WATCHED_READS
            await until(
                lambda: counts(engine, detected)[0] == total and counts(engine, detected)[2] == 0,
                "every read to be stored and processed",
            )
            await slack.wait_for(clip, DEADLINE)
            stored, keys, waiting, sightings = counts(engine, detected)
            await until(lambda: not open_work(engine), "alerts and clip jobs to finish")
    finally:
        fleet.stop()
        engine.dispose()

    assert (stored, keys, waiting) == (total, total, 0)  # every read once, all processed
    # The car's reads, stored by three replicas, are one sighting that counts them all.
    assert sightings == [WATCHED_READS]
    assert len([c for c in slack.calls if heads_up(c)]) == 1
    assert len([c for c in slack.calls if clip(c)]) == 1


def open_work(engine: Engine) -> bool:
    """Whether an alert is still being told or a clip job still waits."""
    with engine.connect() as connection:
        alerts = connection.execute(
            text("SELECT count(*) FROM alerts WHERE status IN ('pending', 'announced')")
        ).scalar_one()
        jobs = connection.execute(text("SELECT count(*) FROM scheduler_jobs")).scalar_one()
    return bool(alerts or jobs)
