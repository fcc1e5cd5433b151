"""The fleet's MQTT side: noisy plate reads from LPR cameras and MV Sense counts per zone.

Real plate cameras read a passing car many times in a few seconds, and each read may be
spelled differently: dashes and spaces, lower case, OCR confusions (O/0, I/1, B/8, S/5,
Z/2), a dropped character, now and then a partial read; and a broker carries the odd
message that is not a read at all. The publisher reproduces all of that from a seeded
RNG. Plate reads use mvbot's default shape (docs/events.md) on `/merakimv/{serial}/lpr`;
Sense counts follow simulator.sense's truth on `/merakimv/{serial}/{zoneId}` (seed 002).

Tests drive it directly (`publish_plate(serial, plate, at)` returns once the broker has
every read); `mvbot simulator --mqtt URL` runs `run()` for background traffic.
"""

from __future__ import annotations

import json
import random
import string
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Any
from urllib.parse import unquote, urlsplit

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

from simulator.fleet import Camera, Fleet
from simulator.sense import live_counts

_PARTNERS = {"O": "0", "0": "O", "I": "1", "1": "I", "B": "8", "8": "B", "S": "5", "5": "S"}
_PARTNERS |= {"Z": "2", "2": "Z"}
REGULARS = ("ABC-1234", "MVB-0007", "XYZ-9876", "KLM-2468", "DEF-5150")
_CONNECT_TIMEOUT = 10.0
_PUBLISH_TIMEOUT = 10.0


@dataclass(frozen=True)
class PlateNoise:
    """Chances, per read, of each kind of misreading."""

    confusion: float = 0.3  # one character swapped within its OCR class
    formatting: float = 0.4  # a dash or space added, or lower case
    drop: float = 0.05  # one character missing
    partial: float = 0.03  # only part of the plate read, with low confidence


QUIET = PlateNoise(0.0, 0.0, 0.0, 0.0)


def lpr_topic(serial: str) -> str:
    return f"/merakimv/{serial}/lpr"


def _epoch(at: float | datetime) -> float:
    return at.timestamp() if isinstance(at, datetime) else float(at)


class FleetPublisher:
    """Publishes to one broker; usable as a context manager."""

    def __init__(
        self,
        url: str,
        fleet: Fleet,
        *,
        seed: int | None = None,
        noise: PlateNoise | None = None,
        client_id: str | None = None,
    ) -> None:
        parts = urlsplit(url)
        self._tls = parts.scheme.lower() == "mqtts"
        self._host = parts.hostname or "127.0.0.1"
        self._port = parts.port or (8883 if self._tls else 1883)
        self.fleet = fleet
        self.noise = noise if noise is not None else PlateNoise()
        self.rng = random.Random(seed)
        self._lock = threading.Lock()  # the RNG is shared by the traffic thread and callers
        self._client = paho.Client(
            CallbackAPIVersion.VERSION2, client_id=client_id or f"mvbot-sim-{uuid.uuid4().hex[:8]}"
        )
        if parts.username:
            self._client.username_pw_set(
                unquote(parts.username), unquote(parts.password) if parts.password else None
            )
        if self._tls:
            self._client.tls_set()
        self._connected = threading.Event()
        self._client.on_connect = lambda *args: self._connected.set()

    def start(self) -> FleetPublisher:
        self._client.connect(self._host, self._port, keepalive=30)
        self._client.loop_start()
        if not self._connected.wait(_CONNECT_TIMEOUT):
            self.stop()
            raise ConnectionError(f"the broker at {self._host}:{self._port} did not answer")
        return self

    def stop(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()

    def __enter__(self) -> FleetPublisher:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def plate_cameras(self) -> list[Camera]:
        return [c for c in self.fleet.cameras if "lpr" in {t.lower() for t in c.tags}]

    def publish_raw(self, topic: str, payload: bytes | str, qos: int = 1) -> None:
        """Publish as is; with QoS 1, return once the broker has it."""
        info = self._client.publish(topic, payload, qos=qos)
        if qos:
            info.wait_for_publish(_PUBLISH_TIMEOUT)
            if not info.is_published():
                raise TimeoutError(f"the broker did not take the message on {topic}")

    def publish_read(
        self, serial: str, plate: str, at: float | datetime, confidence: float = 0.9, **extra: Any
    ) -> dict[str, Any]:
        """One read, exactly as given, in mvbot's default shape."""
        payload = {
            "ts": round(_epoch(at) * 1000),
            "plate": plate,
            "confidence": round(confidence, 3),
            "serial": serial,
            **extra,
        }
        self.publish_raw(lpr_topic(serial), json.dumps(payload))
        return payload

    def publish_plate(
        self,
        serial: str,
        plate: str,
        at: float | datetime,
        *,
        reads: int | None = None,
        spread: float | None = None,
        pace: bool = False,
    ) -> list[dict[str, Any]]:
        """A car passing: `reads` noisy reads (default 5–50) over `spread` seconds (2–6)
        from `at`. `pace` publishes them in real time instead of all at once."""
        start = _epoch(at)
        with self._lock:
            count = reads if reads is not None else self.rng.randint(5, 50)
            length = spread if spread is not None else self.rng.uniform(2.0, 6.0)
            planned = self._misreads(plate, count)
        sent = []
        for index, (text, confidence) in enumerate(planned):
            moment = start + (length * index / (count - 1) if count > 1 else 0.0)
            if pace:
                time.sleep(max(0.0, moment - time.time()))
            sent.append(self.publish_read(serial, text, moment, confidence))
        return sent

    def publish_counts(self, at: float | datetime | None = None) -> int:
        """Sense counts of every zone of every Sense camera at `at` (default now)."""
        moment = _epoch(at) if at is not None else time.time()
        published = 0
        for camera in self.fleet.cameras:
            if not camera.sense:
                continue
            zone = self.fleet.network_of(camera).zone
            for zone_id, counts in live_counts(camera, zone, moment).items():
                payload = {"ts": round(moment * 1000), "counts": counts}
                self.publish_raw(f"/merakimv/{camera.serial}/{zone_id}", json.dumps(payload), 0)
                published += 1
        return published

    def run(
        self,
        stop: threading.Event,
        *,
        car_every: tuple[float, float] = (20.0, 60.0),
        counts_every: float = 1.0,
        garbage_every: float = 300.0,
    ) -> None:
        """Background traffic until `stop` is set: cars at plate cameras, counts, garbage."""
        next_car = {
            c.serial: time.time() + self.rng.uniform(*car_every) for c in self.plate_cameras
        }
        next_garbage = time.time() + garbage_every
        while not stop.wait(counts_every):
            now = time.time()
            self.publish_counts(now)
            for serial, due in next_car.items():
                if now >= due:
                    plate = self._random_plate()
                    car = threading.Thread(
                        target=self.publish_plate,
                        args=(serial, plate, now),
                        kwargs={"pace": True},
                        daemon=True,
                    )
                    car.start()
                    next_car[serial] = now + self.rng.uniform(*car_every)
            if now >= next_garbage and next_car:
                self.publish_raw(lpr_topic(next(iter(next_car))), b"\x00garbage{")
                next_garbage = now + garbage_every

    def _random_plate(self) -> str:
        with self._lock:
            if self.rng.random() < 0.4:
                return self.rng.choice(REGULARS)
            letters = "".join(self.rng.choices(string.ascii_uppercase, k=3))
            return f"{letters}-{self.rng.randint(0, 9999):04d}"

    def misreads(self, plate: str, count: int) -> list[tuple[str, float]]:
        """How the camera would read `plate` `count` times: (text, confidence) each."""
        with self._lock:
            return self._misreads(plate, count)

    def _misreads(self, plate: str, count: int) -> list[tuple[str, float]]:
        return [self._misread(plate) for _ in range(count)]

    def _misread(self, plate: str) -> tuple[str, float]:
        """One read of `plate` and its confidence (call with the lock held)."""
        rng, noise = self.rng, self.noise
        chars = [c for c in plate.upper() if c.isalnum()]
        confidence = rng.uniform(0.85, 0.99)
        if rng.random() < noise.partial and len(chars) > 3:
            keep = rng.randint(2, len(chars) - 2)
            return "".join(chars[:keep]), rng.uniform(0.2, 0.45)
        if rng.random() < noise.confusion:
            swappable = [i for i, c in enumerate(chars) if c in _PARTNERS]
            if swappable:
                index = rng.choice(swappable)
                chars[index] = _PARTNERS[chars[index]]
                confidence -= rng.uniform(0.1, 0.3)
        if rng.random() < noise.drop and len(chars) > 5:
            del chars[rng.randrange(len(chars))]
            confidence -= rng.uniform(0.1, 0.3)
        text = "".join(chars)
        if rng.random() < noise.formatting:
            cut = len(text) // 2
            text = rng.choice((text[:cut] + "-" + text[cut:], text[:cut] + " " + text[cut:]))
            if rng.random() < 0.3:
                text = text.lower()
        return text, max(confidence, 0.3)
