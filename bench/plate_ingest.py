"""Benchmark: plate ingest against a bare paho subscriber with json.loads on the same Mosquitto.

Run by hand: ``.venv/bin/python bench/plate_ingest.py`` (``--no-write`` leaves
docs/benchmarks.md alone, ``--reads N`` sizes the burst). Every contender drains the same
backlog: its persistent session is subscribed first, the burst is published at QoS 1 while
it is away, then it connects and the clock runs until the last message is in (for mvbot:
stored and acknowledged, then processed). Scenarios: a burst of distinct reads (store
rate vs paho's receive rate), 10,000 distinct plates inside one 10 s window with a watched
plate in the middle (processing and the watched plate's heads-up), the same with a hotlist
of 1,000 more plates watched, and kill -9 in the
middle of a burst (every read stored once after the restart).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import Engine, insert

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from adapters.memory import MemoryAdapter  # noqa: E402
from bench.report import replace_section  # noqa: E402
from bot.app import Running, running_bot  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.events.decode import PlateRead  # noqa: E402
from bot.events.mqtt import MqttIngest  # noqa: E402
from bot.events.read_writer import ReadRefused, ReadWriter  # noqa: E402
from bot.events.sightings import PlateLedger  # noqa: E402
from bot.events.tables import plate_watches  # noqa: E402
from simulator import SimulatorConfig, SimulatorServer  # noqa: E402
from tests.mosquitto import Mosquitto  # noqa: E402

API_KEY = "demo-key"
GARAGE = "Q2GV-GRGE-0002"
WATCHED = "MVB0007"
HOTLIST = 1_000  # plates watched besides WATCHED in the hotlist scenario
SECTION = "## Plate ingest"
ALPHABET = "ACDEFGHJKLMNPQRTUVWXY34679"  # no OCR confusions: distinct plates stay distinct
TOPIC = f"/merakimv/{GARAGE}/lpr"
# The broker keeps the whole backlog of a session that is away (its default is 1,000).
QUEUE_ALL = "max_queued_messages 0\n"
# ... and lets 1,000 messages per client be unacknowledged at once (its default is 20).
BROKER_EXTRA = QUEUE_ALL + "max_inflight_messages 1000\n"
# Measured by bench/plate_stages.py (each stage alone, one thread, CPU time, median of 5):
# main at 85617b2 against this branch, on the same machine, one after the other.
WHERE = (
    "Where the time goes, per message (`.venv/bin/python bench/plate_stages.py`: each stage "
    "alone in one thread, CPU time, median of 5 runs; measured once, not by this run), "
    "before → now: paho parsing one PUBLISH from a socket that holds the burst, as mvbot's "
    "event loop reads it, 9.6 µs (the bare baseline also waits in select() and sends a "
    "PUBACK for each message, hence its 24–45 µs a message in these runs); mvbot's decoding "
    "7.1 → 4.8 µs (json.loads 1.6 µs; the reads are named tuples, a topic's serial is "
    "worked out once, clean plates skip the character filters); storing 11.1 → 5.7 µs "
    "(one multi-row INSERT straight to the driver instead of SQLAlchemy's executemany, "
    "1,000 reads a commit); merging 78.6 → 52.6 µs a read of the 10,000-plate window "
    "(match keys put and looked up as set operations in C, buckets two windows wide, new "
    "sightings and their audit rows straight to the driver). In the running bot, full "
    "garbage collections no longer walk what start-up loaded (gc.freeze while it runs): "
    "before, each cost about 0.1 s, three or four per window scenario."
)
BEFORE = (
    "This session's machine (2026-11-24) is faster than earlier sessions' (paho received "
    "the window in 0.25–0.37 s here, 0.34 s before): compare numbers of one run, not of two"
    " sessions. With a hotlist: before watches were indexed (main at 3d0e496, this bench, "
    "one round, same machine), each read was compared with every one of the 1,001 watches: "
    "the window was processed in 18.26 s and the watched plate told 18.13 s after its read "
    "(10 s wanted); merging alone (`bench/plate_stages.py`'s stage with 1,000 watches) cost"
    " 1,796 µs a read, against 60 µs now. Before (main at 85617b2, this bench, same "
    "machine, as docs/benchmarks.md had it): ratios 0.73 (0.58–0.93), 0.74 (0.57–0.74) and "
    "0.43 (0.43–0.70); the window processed in 1.36 s against a bound of 1.43 s, the "
    "watched plate told 1.20 s after its read. Earlier still (db68b9f: paho in its own "
    "thread, a task per message): ratios 0.22 and 0.33, the window processed in 5.23 s. "
    "Until 2026-11-24 mvbot's clock started only once the bot had started; since the "
    "replicas' leader duties run at start-up, the broker handed the backlog over before "
    "that, and the times looked shorter than they were (the window processed in 0.97 s). "
    "Asking the metrics for the processed count also cost about a third of processing, "
    "since prometheus_client collects every metric to answer; `Metrics.value` now keeps its"
    " own tallies."
)


def payloads(
    count: int, start: datetime, span: float, watched_at: int | None, seed: int = 0
) -> list[bytes]:
    """`count` distinct plates read over `span` seconds from `start`; one of them watched.
    Random 7-character plates: numbered ones would be one character apart, i.e. one car.
    Each `seed` draws other plates: a bot that saw some before (its caches of match keys
    are the process's) would merge them faster than a site's new cars."""
    rng = random.Random(f"{count}/{seed}")
    plates: set[str] = set()
    while len(plates) < count:
        plates.add("".join(rng.choice(ALPHABET) for _ in range(7)))
    out = []
    for index, random_plate in enumerate(sorted(plates, key=lambda _: rng.random())):
        plate = WATCHED if index == watched_at else random_plate
        at = start + timedelta(seconds=span * index / max(count - 1, 1))
        body = {"ts": round(at.timestamp() * 1000), "plate": plate, "confidence": 0.95}
        out.append(json.dumps(body).encode())
    return out


def add_hotlist(engine: Engine, count: int) -> None:
    """`count` more watched plates, none of them read in the bench, as `watch import` of a
    hotlist would leave them."""
    rng = random.Random(-count)
    plates: set[str] = set()
    while len(plates) < count:
        plates.add("".join(rng.choice(ALPHABET) for _ in range(6)) + "B")  # B: never read
    rows = [
        {"platform": "memory", "room_id": "R1", "pattern": plate, "created_by": "bench"}
        for plate in sorted(plates)
    ]
    with engine.begin() as connection:
        connection.execute(insert(plate_watches).values(created_at=datetime.now(UTC)), rows)


def publish(url_port: int, messages: list[bytes]) -> float:
    """Publish at QoS 1, all confirmed by the broker; seconds it took."""
    client = paho.Client(CallbackAPIVersion.VERSION2, client_id=f"cam-{uuid.uuid4().hex[:8]}")
    client.max_inflight_messages_set(1000)
    client.max_queued_messages_set(0)
    client.connect("127.0.0.1", url_port)
    client.loop_start()
    started = time.perf_counter()
    infos = [client.publish(TOPIC, m, qos=1) for m in messages]
    for info in infos:
        info.wait_for_publish(120)
    took = time.perf_counter() - started
    client.disconnect()
    client.loop_stop()
    return took


def bare_paho(broker: Mosquitto, messages: list[bytes]) -> float:
    """Seconds a bare paho subscriber (persistent session, QoS 1, json.loads) takes to
    receive the backlog."""
    client_id = f"bare-{uuid.uuid4().hex[:8]}"
    done = threading.Event()
    seen = 0
    first: list[float] = []

    def on_message(client: paho.Client, userdata: Any, message: paho.MQTTMessage) -> None:
        nonlocal seen
        json.loads(message.payload)
        if not first:
            first.append(time.perf_counter())
        seen += 1
        if seen == len(messages):
            done.set()

    def session() -> paho.Client:
        client = paho.Client(CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=False)
        client.on_message = on_message
        subscribed = threading.Event()
        client.on_subscribe = lambda *args: subscribed.set()
        client.on_connect = lambda c, *args: c.subscribe(TOPIC, qos=1)
        client.connect("127.0.0.1", broker.port)
        client.loop_start()
        subscribed.wait(10)
        return client

    away = session()
    away.disconnect()
    away.loop_stop()
    publish(broker.port, messages)
    started = time.perf_counter()
    client = session()
    done.wait(600)
    took = time.perf_counter() - started
    client.disconnect()
    client.loop_stop()
    return took


@dataclass
class Run:
    stored: float  # seconds until every message was stored and acknowledged
    processed: float  # seconds until every read was processed
    told: float | None  # seconds from the watched read's arrival to its heads-up
    duplicates: float
    commits: float  # seconds the store spent in the transactions that stored the reads


def settings_for(sim: SimulatorServer, broker: Mosquitto, work: Path, client_id: str) -> Settings:
    return Settings().with_overrides(
        {
            "meraki": {"api_key": API_KEY, "base_url": sim.api_url, "rate": 50},
            "store": {"data_dir": work / "data", "database_url": f"sqlite:///{work / 'db'}"},
            "access": {"default_role": "operator"},
            "mqtt": {"url": broker.url, "client_id": client_id},
            "plates": {"snapshot": False},
        }
    )


@asynccontextmanager
async def bot(settings: Settings) -> AsyncIterator[tuple[Running, MemoryAdapter]]:
    room = MemoryAdapter()
    async with running_bot(settings, [room]) as running:
        assert running.events.mqtt is not None
        await running.events.mqtt.connected_times(1)
        yield running, room


async def mvbot(
    sim: SimulatorServer,
    broker: Mosquitto,
    work: Path,
    messages: list[bytes],
    watch: bool,
    hotlist: int,
) -> Run:
    settings = settings_for(sim, broker, work, f"mvbot-{uuid.uuid4().hex[:8]}")
    async with bot(settings) as (running, room):
        if watch:
            await room.ask("watch plate " + WATCHED)
        if hotlist:
            await asyncio.to_thread(add_hotlist, running.services.store.engine, hotlist)
    await asyncio.to_thread(publish, broker.port, messages)
    arrived: list[float] = []
    committing: list[float] = []
    begun: list[float] = []  # when mvbot's MQTT connection starts, as the baseline's clock
    submit, store_reads, connect = (
        ReadWriter.submit_many,
        PlateLedger.store_reads,
        MqttIngest.start,
    )

    # On the classes, before the bot starts: the broker hands the backlog over as soon as
    # the connection is up, before running_bot() has finished starting (leader duties).
    async def noted(writer: ReadWriter, reads: Sequence[PlateRead]) -> list[bool | ReadRefused]:
        if not arrived and any(read.plate == WATCHED for read in reads):
            arrived.append(time.perf_counter())
        return await submit(writer, reads)

    async def timed(ledger: PlateLedger, reads: Sequence[PlateRead]) -> list[bool]:
        began = time.perf_counter()
        stored = await store_reads(ledger, reads)
        committing.append(time.perf_counter() - began)
        return stored

    async def connecting(ingest: MqttIngest) -> None:
        if not begun:
            begun.append(time.perf_counter())
        await connect(ingest)

    ReadWriter.submit_many = noted  # type: ignore[method-assign]
    PlateLedger.store_reads = timed  # type: ignore[method-assign]
    MqttIngest.start = connecting  # type: ignore[method-assign]
    try:
        async with bot(settings) as (running, room):
            return await measured(running, room, messages, watch, begun[0], arrived, committing)
    finally:
        ReadWriter.submit_many = submit  # type: ignore[method-assign]
        PlateLedger.store_reads = store_reads  # type: ignore[method-assign]
        MqttIngest.start = connect  # type: ignore[method-assign]


async def measured(
    running: Running,
    room: MemoryAdapter,
    messages: list[bytes],
    watch: bool,
    started: float,
    arrived: list[float],
    committing: list[float],
) -> Run:
    """The times of one round, counted from `started` (the bot's MQTT connection)."""
    plates = running.events.plates
    ledger = running.events.plate_ledger
    await plates.handled_times(len(messages))
    stored = time.perf_counter() - started
    metrics = running.services.metrics
    # Polled in memory (the processor counts each batch once committed): a query of the
    # store every 50 ms, as before, cost CPU and up to 50 ms of resolution.
    while sum(  # noqa: ASYNC110 - the bench polls a counter
        metrics.value("mvbot_plate_reads_total", outcome=outcome)
        for outcome in ("processed", "parked")
    ) < len(messages):
        await asyncio.sleep(0.005)
    processed = time.perf_counter() - started
    assert not await ledger.unprocessed(1)
    told = None
    if watch:
        await room.wait_for(lambda r: WATCHED in (r.title or ""), 120)
        told = time.perf_counter() - arrived[0]
    duplicates = running.services.metrics.value("mvbot_mqtt_messages_total", outcome="duplicate")
    return Run(stored, processed, told, duplicates, sum(committing))


def child(config: str) -> None:
    """The mvbot that kill -9 stops: runs until killed, saying 'ready' once connected."""
    given = json.loads(config)

    async def run() -> None:
        settings = Settings().with_overrides(given)
        async with bot(settings):
            print("ready", flush=True)
            await asyncio.Event().wait()

    asyncio.run(run())


def stored_reads(database: Path) -> tuple[int, int]:
    """(reads stored, distinct messages among them), read straight from the SQLite file."""
    try:
        with sqlite3.connect(database, timeout=30) as db:
            row = db.execute("SELECT COUNT(*), COUNT(DISTINCT key) FROM plate_reads").fetchone()
    except sqlite3.OperationalError:
        return 0, 0  # not created yet
    return int(row[0]), int(row[1])


def kill_nine(sim: SimulatorServer, broker: Mosquitto, work: Path, count: int) -> tuple[int, int]:
    """Kill mvbot with SIGKILL a third of the way into a burst, restart it, and count."""
    work.mkdir()
    config = {
        "meraki": {"api_key": API_KEY, "base_url": sim.api_url, "rate": 50},
        "store": {"data_dir": str(work / "data"), "database_url": f"sqlite:///{work / 'db'}"},
        "mqtt": {"url": broker.url, "client_id": f"mvbot-kill-{uuid.uuid4().hex[:6]}"},
        "plates": {"snapshot": False},
    }

    def start() -> subprocess.Popen[str]:
        process = subprocess.Popen(
            [sys.executable, __file__, "--child", json.dumps(config)],
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "ready"
        return process

    process = start()
    messages = payloads(count, datetime.now(UTC) - timedelta(seconds=60), 60, None)
    publisher = threading.Thread(target=publish, args=(broker.port, messages))
    publisher.start()
    deadline = time.monotonic() + 120
    while stored_reads(work / "db")[0] < count // 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    killed_at = stored_reads(work / "db")[0]
    publisher.join()
    process = start()
    while stored_reads(work / "db")[0] < count and time.monotonic() < deadline:
        time.sleep(0.1)
    process.terminate()
    process.wait(30)
    total, distinct = stored_reads(work / "db")
    print(f"kill -9 after {killed_at} stored; after the restart {total} reads, {distinct} distinct")
    return total, distinct


@dataclass
class Scenario:
    """One scenario's rounds: bare paho's receive times and mvbot's runs, alternated."""

    name: str
    reads: int
    bare: list[float]
    runs: list[Run]

    def median_run(self) -> Run:
        """The run with the median store time (its other numbers come with it)."""
        return sorted(self.runs, key=lambda r: r.stored)[len(self.runs) // 2]

    def ratio(self) -> float:
        return statistics.median(self.bare) / self.median_run().stored

    def row(self) -> str:
        bare, run = statistics.median(self.bare), self.median_run()
        ratios = sorted(b / r.stored for b, r in zip(self.bare, self.runs, strict=True))
        return (
            f"| {self.name} | {bare:.2f} s ({self.reads / bare:,.0f}/s) "
            f"| {run.stored:.2f} s ({self.reads / run.stored:,.0f}/s) | {run.processed:.2f} s "
            f"| **{self.ratio():.2f}** ({ratios[0]:.2f}–{ratios[-1]:.2f}) |"
        )


async def rounds(
    name: str,
    sim: SimulatorServer,
    broker: Mosquitto,
    work: Path,
    burst: Callable[[int], list[bytes]],
    watch: bool,
    count: int,
    hotlist: int = 0,
) -> Scenario:
    """`count` alternated rounds of bare paho and mvbot draining the same backlog, `burst`
    of the round's number: new plates each round."""
    scenario = Scenario(name, 0, [], [])
    for number in range(count):
        messages = burst(number)
        scenario.reads = len(messages)
        scenario.bare.append(await asyncio.to_thread(bare_paho, broker, messages))
        # A database of its own per round: one already holding these reads would take them
        # all for redeliveries.
        run = await mvbot(sim, broker, work / uuid.uuid4().hex, messages, watch, hotlist)
        scenario.runs.append(run)
        print(
            f"{name}: paho {scenario.bare[-1]:.2f}s mvbot stored {run.stored:.2f}s "
            f"(commits {run.commits:.2f}s) processed {run.processed:.2f}s told {run.told}"
        )
    return scenario


def section(
    burst: Scenario,
    window: Scenario,
    hotlist: Scenario,
    defaults: Scenario,
    killed: tuple[int, int, int],
) -> str:
    run_w, run_h = window.median_run(), hotlist.median_run()
    paho = statistics.median(window.bare)
    bound, strict = 2 * (paho + run_w.commits), 2 * paho + run_w.commits
    lines = [
        SECTION,
        "",
        "`.venv/bin/python bench/plate_ingest.py` — Mosquitto on a free loopback port,",
        "the simulator for the camera directory, SQLite, "
        f"{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} cores.",
        "Each contender drains the same QoS 1 backlog from a persistent session; the",
        "baseline is a bare paho subscriber that only runs `json.loads` on each message",
        f"(and acknowledges on receipt). {len(burst.runs)} rounds per scenario, paho and mvbot",
        "alternated; the table shows medians (mvbot's numbers from its median round) and the",
        "range of the ratio over the rounds. The broker keeps every queued message",
        "(`max_queued_messages 0`) and, but in the last row, lets 1,000 messages per client",
        "be unacknowledged (`max_inflight_messages 1000`; Mosquitto's default is 20): mvbot",
        "acknowledges a message only once the transaction holding it has committed, so that",
        "window bounds how many reads one round trip to the broker can bring. Commit time is",
        "the wall time of the store calls (waits for the store's turn included). Both clocks",
        "start as the subscriber connects (mvbot's at its MQTT connection's start).",
        "",
        "| scenario | bare paho receives | mvbot stores (acked) | mvbot processed | ratio |",
        "|---|---|---|---|---|",
        burst.row(),
        window.row(),
        hotlist.row(),
        defaults.row(),
        "",
        "Ratio: paho's receive time / mvbot's store time (≥ 0.8 wanted). Duplicates counted "
        f"in the median rounds: {burst.median_run().duplicates:g}, {run_w.duplicates:g}, "
        f"{run_h.duplicates:g} and {defaults.median_run().duplicates:g}. In the window, the "
        f"store spent {run_w.commits:.2f} s committing; processing took "
        f"{run_w.processed:.2f} s against the wanted 2 × paho's {paho:.2f} s + commits = "
        f"{strict:.2f} s (read as 2 × (paho + commits): {bound:.2f} s), and the watched plate "
        f"in the middle was announced {run_w.told:.2f} s after its read arrived (within 10 s "
        f"wanted). With the hotlist: processed in {run_h.processed:.2f} s, the watched plate "
        f"announced {run_h.told:.2f} s after its read.",
        "",
        f"kill -9 a third of the way into {killed[0]:,} QoS 1 reads, then a restart: "
        f"{killed[1]:,} reads stored, {killed[2]:,} distinct (none lost, none twice).",
        "",
        WHERE,
        "",
        BEFORE,
    ]
    return "\n".join(lines) + "\n"


async def scenarios(args: argparse.Namespace) -> str:
    with (
        tempfile.TemporaryDirectory() as tmp,
        SimulatorServer(SimulatorConfig(api_key=API_KEY)) as sim,
    ):
        work = Path(tmp)
        (work / "broker").mkdir()
        (work / "default-broker").mkdir()
        broker = Mosquitto(work / "broker", extra=BROKER_EXTRA).start()
        default = Mosquitto(work / "default-broker", extra=QUEUE_ALL).start()
        try:
            now = datetime.now(UTC)

            def burst(seed: int) -> list[bytes]:
                return payloads(args.reads, now - timedelta(seconds=120), 60, None, seed)

            def window(seed: int) -> list[bytes]:
                start = now - timedelta(seconds=40)
                return payloads(args.window, start, 10, args.window // 2, seed)

            scenario_burst = await rounds(
                f"{args.reads:,} distinct reads", sim, broker, work, burst, False, args.rounds
            )
            scenario_window = await rounds(
                f"{args.window:,} distinct plates in one 10 s window",
                sim,
                broker,
                work,
                window,
                True,
                args.rounds,
            )
            scenario_hotlist = await rounds(
                f"the same, {HOTLIST + 1:,} plates watched",
                sim,
                broker,
                work,
                lambda number: window(100 + number),
                True,
                args.rounds,
                HOTLIST,
            )
            scenario_default = await rounds(
                f"{args.reads:,} distinct reads, Mosquitto's default in-flight window (20)",
                sim,
                default,
                work,
                lambda number: burst(100 + number),
                False,
                args.rounds,
            )
            total, distinct = await asyncio.to_thread(
                kill_nine, sim, broker, work / "kill", args.kill
            )
        finally:
            broker.stop()
            default.stop()
    return section(
        scenario_burst,
        scenario_window,
        scenario_hotlist,
        scenario_default,
        (args.kill, total, distinct),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reads", type=int, default=5000)
    parser.add_argument("--window", type=int, default=10_000)
    parser.add_argument("--kill", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    text = asyncio.run(scenarios(args))
    print(text)
    if not args.no_write:
        replace_section(ROOT / "docs" / "benchmarks.md", SECTION, text)


if __name__ == "__main__":
    main()
