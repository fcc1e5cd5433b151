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
from typing import Any, NamedTuple

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
# main at 3eb184d against this branch, on the same machine, one after the other.
WHERE = (
    "Where the time goes, per message (`.venv/bin/python bench/plate_stages.py`: each stage "
    "alone in one thread, CPU time, median of 5 runs, new plates each run; measured once, "
    "not by this run), main at 3eb184d → now: paho parsing one PUBLISH from a socket that "
    "holds the burst, as mvbot's event loop reads it, 10.1 µs (the bare baseline also waits "
    "in select() and sends a PUBACK for each message: about 25 µs a message in these runs); "
    "mvbot's decoding 5.5 µs (json.loads 1.6 µs); storing 6.4 → 6.0 µs (one multi-row "
    "INSERT straight to the driver, 1,000 reads a commit); merging a read of the "
    "10,000-plate window 68.8 → 38.5 µs, and with 1,000 plates watched 89.5 → 43.9 µs. "
    "What changed: each read is taken with a SELECT and written once, processed with its "
    "sighting, in one multi-row UPDATE (it was written twice, one statement a row for the "
    "second); new sightings and their audit rows go in as multi-row INSERTs; match keys are "
    "tuples and a sighting is one slotted object holding tuples, which the garbage collector"
    " stops watching (it walked every young set and frozenset again and again); keys are "
    "filed with setdefault in one pass; 1,000 reads a transaction instead of 500. Measured "
    "on 2026-11-24's machine; on 2026-11-25's (slower: each stage about three times as "
    "long) the same bench gave 34.4, 18.8 (json.loads 5.8), 24.2, 122.8 and 117.3 µs."
)
LATER = (
    "Then (ca76111 → now, plate_stages on 2026-11-25's second machine, alternated, two runs "
    "each): merging 48.7 and 48.0 → 45.6 and 43.6 µs a read, with 1,000 plates watched 55.9 "
    "and 56.9 → 48.5 and 49.7 µs; storing unchanged within the noise (30,000 reads, 1,000 a "
    "commit, three runs each, three times: 11.0–13.4 µs before, 10.8–13.5 µs after). What "
    "changed: "
    "reads this process has just stored are taken from memory (the store is only asked which"
    " still wait) instead of read back and their times parsed again; the watches, follows and"
    " allow-lists are read again only when a counter that triggers move on with every change "
    "to them has moved (a hotlist of 1,000 took 3.3 ms to read for every batch); plate_reads'"
    " processed and sighting indexes are partial, so a read adds one entry when stored and "
    "moves it once when processed; a processing turn lets the store go, with what it has "
    "merged, once reads wait to be stored (a 250-read batch begun in a lull at the start of "
    "the window took 86 ms and 101 ms there, storing held up throughout, in two of seven "
    "traced rounds); the plate connection reads its socket 64 KB at a time, where paho asked "
    "three recv() calls of each PUBLISH (parsing one 10.2–10.4 → 8.2–8.6 µs). Traced in the "
    "bot, the window is stored first and then processed: the processing thread's CPU time "
    "is its wall time (0.46–0.56 s of it), so the round ends at storing's end plus one "
    "core's worth of merging."
)
TRIED = (
    "Tried on 2026-11-25 and not kept: merging in a second process (one worker process with "
    "its own engine and sighting index, each batch handed over and its outcome handed back) "
    "so that one core merges while the other stores. It was no faster: in four rounds of the"
    " window on that machine it processed in 1.77–2.55 s after a cold first round, against "
    "1.54–2.17 s with merging in the bot's own process. Two reasons, both measured there: "
    "its two cores give 1.4 times the work of one when both run Python (a loop of 20 "
    "million steps took 1.90 s alone, 2.47 s and 2.69 s two at once), and the store has one"
    " writer, so storing waited for each batch. In one process the bot is busy throughout: "
    "the event loop and the store's thread used 103–105 % of one core while the window was "
    "stored, and processing ran without a pause between batches but the turns it gives "
    "storing during the burst."
)
BEFORE = (
    "Before (main at 3eb184d, this bench, on 2026-11-24's machine, where this code processed"
    " the window in 0.75 s, one run): ratios 1.50, 0.85, 1.48 "
    "and 0.86; the window processed in 1.13 s against the wanted 0.78 s, the watched plate "
    "told 1.07 s after its read; with the hotlist processed in 1.21 s. Until 2026-11-24 the "
    "bench sent the same plates every round, and the caches of match keys, which live as "
    "long as the process, made every round after the first faster than new cars would be "
    "(docs/benchmarks.md then had the window processed in 0.96 s). Earlier still: before "
    "watches were indexed (3d0e496) the hotlist's window took 18.26 s; at 85617b2 the window"
    " took 1.36 s, at db68b9f (paho in its own thread, a task per message) 5.23 s. Since "
    "2026-11-24 mvbot's clock starts at its MQTT connection's start (before, once the bot "
    "had started, after the broker had begun to hand the backlog over)."
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
    # Each takes `self` as the method it stands in for names it, so that the types agree.
    async def noted(self: ReadWriter, reads: Sequence[PlateRead]) -> list[bool | ReadRefused]:
        if not arrived and any(read.plate == WATCHED for read in reads):
            arrived.append(time.perf_counter())
        return await submit(self, reads)

    async def timed(self: PlateLedger, reads: Sequence[PlateRead]) -> list[bool]:
        began = time.perf_counter()
        stored = await store_reads(self, reads)
        committing.append(time.perf_counter() - began)
        return stored

    async def connecting(self: MqttIngest) -> None:
        if not begun:
            begun.append(time.perf_counter())
        await connect(self)

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


class Tally(NamedTuple):
    """What the SQLite file holds of the plate pipeline."""

    stored: int  # reads
    distinct: int  # messages among them
    processed: int  # reads
    linked: int  # reads processed into a sighting
    sightings: int
    audited: int  # sightings with their audit row


def tally(database: Path) -> Tally:
    """Read straight from the SQLite file."""
    queries = (
        "SELECT COUNT(*), COUNT(DISTINCT key), COUNT(*) FILTER (WHERE processed), "
        "COUNT(sighting_id) FROM plate_reads",
        "SELECT COUNT(*) FROM plate_sightings",
        "SELECT COUNT(*) FROM audit WHERE action = 'plate.sighting' AND outcome = 'ok'",
    )
    try:
        with sqlite3.connect(database, timeout=30) as db:
            values = [value for query in queries for value in db.execute(query).fetchone()]
        return Tally(*(int(value) for value in values))
    except sqlite3.OperationalError:
        return Tally(0, 0, 0, 0, 0, 0)  # not created yet


@dataclass
class Killed:
    """What kill -9 left: while storing, and then while processing."""

    count: int
    stored_at_kill: int
    processed_at_kill: int
    after: Tally  # once the last restart has processed everything


def kill_nine(sim: SimulatorServer, broker: Mosquitto, work: Path, count: int) -> Killed:
    """Kill mvbot with SIGKILL a third of the way into a burst, restart it; kill it again
    while it processes what it stored, restart it, and count."""
    work.mkdir()
    database = work / "db"
    config = {
        "meraki": {"api_key": API_KEY, "base_url": sim.api_url, "rate": 50},
        "store": {"data_dir": str(work / "data"), "database_url": f"sqlite:///{database}"},
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

    def kill_when(reached: Callable[[Tally], bool], process: subprocess.Popen[str]) -> None:
        while not reached(tally(database)) and time.monotonic() < deadline:
            time.sleep(0.005)
        os.kill(process.pid, signal.SIGKILL)
        process.wait()

    deadline = time.monotonic() + 120
    process = start()
    messages = payloads(count, datetime.now(UTC) - timedelta(seconds=60), 60, None)
    publisher = threading.Thread(target=publish, args=(broker.port, messages))
    publisher.start()
    kill_when(lambda now: now.stored >= count // 3, process)
    stored_at_kill = tally(database).stored
    publisher.join()
    process = start()
    kill_when(lambda now: now.stored >= count and now.processed > 0, process)
    processed_at_kill = tally(database).processed
    process = start()
    while tally(database).processed < count and time.monotonic() < deadline:
        time.sleep(0.1)
    process.terminate()
    process.wait(30)
    after = tally(database)
    print(
        f"kill -9 after {stored_at_kill} stored, again after {processed_at_kill} processed: {after}"
    )
    return Killed(count, stored_at_kill, processed_at_kill, after)


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
            f"(commits {run.commits:.2f}s) processed {run.processed:.2f}s "
            f"(wanted {wanted(scenario.bare[-1], run):.2f}s) told {run.told}"
        )
    return scenario


def wanted(bare: float, run: Run) -> float:
    """The issue's bound on processing: 2 × paho's receive time + the store's commit time."""
    return 2 * bare + run.commits


def met(scenario: Scenario) -> int:
    """Rounds whose processing met the bound of that round's own paho time and commits."""
    return sum(
        run.processed <= wanted(bare, run)
        for bare, run in zip(scenario.bare, scenario.runs, strict=True)
    )


def section(scenarios: Sequence[Scenario], killed: Killed) -> str:
    """docs/benchmarks.md's section, from the burst, window, hotlist and default-window
    scenarios, and kill -9."""
    burst, window, hotlist, defaults = scenarios
    run_w, run_h = window.median_run(), hotlist.median_run()
    after = killed.after
    paho, fastest = statistics.median(window.bare), min(window.bare)
    bound, strict = 2 * (paho + run_w.commits), wanted(paho, run_w)
    lines = [
        SECTION,
        "",
        "`.venv/bin/python bench/plate_ingest.py` — Mosquitto on a free loopback port,",
        "the simulator for the camera directory, SQLite, "
        f"{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} cores.",
        "Each contender drains the same QoS 1 backlog (new plates each round) from a",
        "persistent session; the",
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
        f"{strict:.2f} s (with paho's fastest round, {fastest:.2f} s: "
        f"{wanted(fastest, run_w):.2f} s; read as 2 × (paho + commits): {bound:.2f} s). "
        "Paho's time varies from round to round, and so does the bound: taking each round's "
        f"own paho time and commits, processing met it in {met(window)} of "
        f"{len(window.runs)} rounds (with the hotlist, {met(hotlist)} of "
        f"{len(hotlist.runs)}). The watched plate "
        f"in the middle was announced {run_w.told:.2f} s after its read arrived (within 10 s "
        f"wanted). With the hotlist: processed in {run_h.processed:.2f} s, the watched plate "
        f"announced {run_h.told:.2f} s after its read.",
        "",
        f"kill -9 a third of the way into {killed.count:,} QoS 1 reads (after "
        f"{killed.stored_at_kill:,} were stored), a restart, kill -9 again once it had "
        f"processed {killed.processed_at_kill:,} of them, a restart: {after.stored:,} reads "
        f"stored, {after.distinct:,} distinct, {after.processed:,} processed, "
        f"{after.linked:,} of them into a sighting; {after.sightings:,} sightings (one "
        f"a plate: every plate is new), {after.audited:,} of them audited (none lost, "
        "none twice).",
        "",
        WHERE,
        "",
        LATER,
        "",
        TRIED,
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

            # (name, broker, the backlog of a round, a plate watched, hotlist): new plates
            # for each scenario and round.
            plans: list[tuple[str, Mosquitto, Callable[[int], list[bytes]], bool, int]] = [
                (f"{args.reads:,} distinct reads", broker, burst, False, 0),
                (f"{args.window:,} distinct plates in one 10 s window", broker, window, True, 0),
                (
                    f"the same, {HOTLIST + 1:,} plates watched",
                    broker,
                    lambda number: window(100 + number),
                    True,
                    HOTLIST,
                ),
                (
                    f"{args.reads:,} distinct reads, Mosquitto's default in-flight window (20)",
                    default,
                    lambda number: burst(100 + number),
                    False,
                    0,
                ),
            ]
            done = [
                await rounds(name, sim, on, work, backlog, watch, args.rounds, hotlist)
                for name, on, backlog, watch, hotlist in plans
            ]
            killed = await asyncio.to_thread(kill_nine, sim, broker, work / "kill", args.kill)
        finally:
            broker.stop()
            default.stop()
    return section(done, killed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reads", type=int, default=5000)
    parser.add_argument("--window", type=int, default=10_000)
    parser.add_argument("--kill", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=5)
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
