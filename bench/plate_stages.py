"""Benchmark: each stage of plate ingest timed alone, per message, in one thread (CPU time).

Run by hand: ``.venv/bin/python bench/plate_stages.py``. Prints the numbers that
docs/benchmarks.md ("Plate ingest", where the time goes) quotes; bench/plate_ingest.py
measures the whole path against bare paho. Stages: paho parsing a PUBLISH (from a socket
that already holds the burst, as mvbot's event loop reads it, and as paho reads alone),
mvbot's decoding (of which json.loads), storing 1,000 reads a transaction (SQLite file),
merging 10,000 distinct plates of one 10 s window into sightings (as many a transaction as
the bot takes), without watches and with a hotlist of 1,000; new plates each run.
"""

from __future__ import annotations

import gc
import json
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.plate_ingest import GARAGE, HOTLIST, TOPIC, add_hotlist, payloads  # noqa: E402
from bot.config.sections import PlatesSettings  # noqa: E402
from bot.events.decode import FieldMap, PlateRead, decode_plate  # noqa: E402
from bot.events.mqtt_link import BufferedClient  # noqa: E402
from bot.events.plate_intake import plate_rules  # noqa: E402
from bot.events.read_processing import BATCH  # noqa: E402
from bot.events.sightings import CameraView, PlateLedger  # noqa: E402
from bot.store import create_database_engine, migrate  # noqa: E402
from tests.mosquitto import publish_packet  # noqa: E402

ROUNDS = 5


def per_item(run: Callable[[], int]) -> float:
    """Median CPU µs per item over ROUNDS runs; `run` returns how many items it did."""
    times = []
    for _ in range(ROUNDS):
        began = time.process_time()
        count = run()
        times.append((time.process_time() - began) / count * 1e6)
    return statistics.median(times)


def paho_parsing(messages: list[bytes], kind: type[paho.Client] = BufferedClient) -> int:
    client = kind(
        CallbackAPIVersion.VERSION2, protocol=MQTTProtocolVersion.MQTTv311, manual_ack=True
    )
    seen: list[bytes] = []
    client.on_message = lambda c, u, m: seen.append(m.payload)
    ours, theirs = socket.socketpair()
    theirs.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
    ours.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 22)
    ours.sendall(b"".join(publish_packet(TOPIC, m, n % 60000 + 1) for n, m in enumerate(messages)))
    theirs.setblocking(False)
    client._sock = theirs  # a socket paho did not open
    client._state = paho._ConnectionState.MQTT_CS_CONNECTED
    while len(seen) < len(messages):
        client.loop_read()
    ours.close()
    theirs.close()
    return len(messages)


def main() -> None:
    now = datetime.now(UTC)
    burst = payloads(5000, now - timedelta(seconds=120), 60, None)

    def window(seed: int) -> list[bytes]:  # other plates for each seed
        return payloads(10_000, now - timedelta(seconds=40), 10, 5000, seed)

    settings = PlatesSettings()
    fields = FieldMap.from_settings(settings)

    def decode(messages: list[bytes]) -> list[PlateRead]:
        return [
            decode_plate(TOPIC, m, settings.topic, fields, now, oldest=settings.max_read_age)
            for m in messages
        ]

    print(f"paho parsing a PUBLISH   {per_item(lambda: paho_parsing(burst[:1000])):6.1f} µs")
    alone = per_item(lambda: paho_parsing(burst[:1000], paho.Client))
    print(f"  paho reading alone     {alone:6.1f} µs")
    print(f"decoding                 {per_item(lambda: len(decode(burst))):6.1f} µs")
    loads = per_item(lambda: len([json.loads(m) for m in burst]))
    print(f"  of which json.loads    {loads:6.1f} µs")
    reads = decode(window(0))
    with tempfile.TemporaryDirectory() as tmp:
        engine = create_database_engine(f"sqlite:///{tmp}/db")
        migrate(engine)
        ledger = PlateLedger(engine)
        stored = iter(range(0, len(reads), 1000))

        def store() -> int:
            start = next(stored)
            ledger._store_reads(reads[start : start + 1000])  # the stage alone
            return 1000

        print(f"storing (1,000 a commit) {per_item(store):6.1f} µs")
        engine.dispose()
    gc.freeze()  # as a running bot has it (bot.app)
    # Other plates each run: the match keys of plates merged before are cached.
    plain = [merging(decode(window(n)), settings, 0) for n in range(1, ROUNDS + 1)]
    print(f"merging ({BATCH:,} a commit) {statistics.median(plain):6.1f} µs")
    watched = [merging(decode(window(-n)), settings, HOTLIST) for n in range(1, ROUNDS + 1)]
    print(f"  with {HOTLIST:,} watches     {statistics.median(watched):6.1f} µs")


def merging(reads: list[PlateRead], settings: PlatesSettings, watches: int) -> float:
    """CPU µs a read to merge `reads` (all stored first) into sightings, with `watches`."""
    with tempfile.TemporaryDirectory() as tmp:
        engine = create_database_engine(f"sqlite:///{tmp}/db")
        migrate(engine)
        if watches:
            add_hotlist(engine, watches)
        ledger = PlateLedger(engine)
        for start in range(0, len(reads), 1000):
            ledger._store_reads(reads[start : start + 1000])
        cameras = {GARAGE: CameraView(GARAGE, "Garage")}
        rules = plate_rules(settings)
        began = time.process_time()
        for start in range(1, len(reads) + 1, BATCH):
            ids = list(range(start, min(start + BATCH, len(reads) + 1)))
            ledger._process(ids, cameras, rules, lambda tags, place: True, None)
        took = (time.process_time() - began) / len(reads) * 1e6
        engine.dispose()
        return took


if __name__ == "__main__":
    main()
