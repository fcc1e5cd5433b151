"""Plate ingest: an MQTT message → a stored read (then acked) → sighting, matches, alerts.

`receive` is the MQTT handler: it returns (and so the message is acknowledged) once the
read is stored, or once a malformed message has been counted. A single worker then
processes stored reads in order, so that two reads of one car never race to start two
sightings; `catch_up` at start processes what a crash left behind.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import datetime

from bot.access import AccessPolicy
from bot.cameras.catalog import CameraCatalog
from bot.config.sections import PlatesSettings
from bot.events.announce import Alerts
from bot.events.decode import FieldMap, Malformed, decode_plate
from bot.events.lpr import Tolerance
from bot.events.sightings import CameraView, PlateLedger, PlateRules
from bot.meraki import MerakiError
from bot.telemetry.metrics import Metrics

log = logging.getLogger(__name__)

MALFORMED_LOG_EVERY = 60.0  # seconds between log lines about malformed messages
RETRY_WAIT = 5.0  # seconds before reads that failed to process are tried again
POISON_AFTER = 3  # failed attempts after which a read is set aside
DIRECTORY_RETRY = (1.0, 60.0)  # seconds: first and longest wait for the camera directory


def plate_rules(settings: PlatesSettings) -> PlateRules:
    return PlateRules(
        window=settings.merge_window,
        cooldown=settings.cooldown,
        tolerance=Tolerance(settings.edit_distance, settings.edit_distance_min_length),
        min_confidence=settings.min_confidence,
        pre_roll=settings.pre_roll,
        post_roll=settings.post_roll,
    )


class PlateIngest:
    """Turns plate messages into stored reads, sightings and alerts."""

    def __init__(
        self,
        settings: PlatesSettings,
        ledger: PlateLedger,
        alerts: Alerts,
        catalog: CameraCatalog,
        access: AccessPolicy,
        metrics: Metrics,
        clock: Callable[[], datetime],
    ) -> None:
        self.topic = settings.topic
        self.fields = FieldMap.from_settings(settings)
        self.rules = plate_rules(settings)
        self.ledger = ledger
        self.alerts = alerts
        self.catalog = catalog
        self.access = access
        self.metrics = metrics
        self.clock = clock
        self._wake = asyncio.Event()
        # The broker hands a session's messages over in order; storing them one at a time
        # keeps that order, so the first read of a car is the first one processed.
        self._storing = asyncio.Lock()
        self._worker: asyncio.Task[None] | None = None
        self._failures: dict[int, int] = {}  # read id → failed attempts, in this process
        self._malformed_since_log = 0
        self._malformed_logged_at = -MALFORMED_LOG_EVERY
        metrics.describe("mvbot_mqtt_messages_total", "MQTT plate messages by outcome.")

    async def receive(self, topic: str, payload: bytes) -> None:
        """The MQTT handler: returning means the message may be acknowledged."""
        try:
            read = decode_plate(topic, payload, self.topic, self.fields, self.clock())
        except Malformed as error:
            self._malformed(topic, error)
            return
        async with self._storing:
            stored = await self.ledger.store_read(read)
        if stored:
            self.metrics.inc("mvbot_mqtt_messages_total", outcome="stored")
            self._wake.set()
        else:
            self.metrics.inc("mvbot_mqtt_messages_total", outcome="duplicate")

    def start(self) -> None:
        """Process stored reads, those left from before a restart first."""
        self._worker = asyncio.create_task(self._work(), name="plate ingest")
        self._wake.set()

    async def stop(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            await asyncio.gather(self._worker, return_exceptions=True)
            self._worker = None

    async def catch_up(self) -> int:
        """Process every stored read not processed yet; how many were."""
        done = 0
        while batch := await self.ledger.unprocessed():
            for read_id, serial in batch:
                done += await self._process(read_id, serial)
        return done

    async def _process(self, read_id: int, serial: str) -> bool:
        """Process one read; False if it was set aside after failing every time."""
        camera = await self._camera(serial)
        try:
            alert_ids = await self.ledger.process(read_id, camera, self.rules, self.access.may_see)
        except Exception:
            failures = self._failures.get(read_id, 0) + 1
            if failures < POISON_AFTER:
                self._failures[read_id] = failures
                raise  # the store may be down: keep the read for the next attempt
            # One read that always fails must not hold up every read after it.
            log.exception("plate read %s fails every time; set aside", read_id)
            await self.ledger.set_aside(read_id)
            self._failures.pop(read_id, None)
            self.metrics.inc("mvbot_mqtt_messages_total", outcome="failed")
            return False
        self._failures.pop(read_id, None)
        for alert_id in alert_ids:
            self.metrics.inc("mvbot_alerts_total", kind="plate", outcome="matched")
            self.alerts.post(alert_id)
        return True

    async def _work(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            try:
                await self.catch_up()
            except asyncio.CancelledError:
                raise
            except Exception:
                # The reads stay stored and unprocessed; the next message or start retries.
                log.exception("processing plate reads failed; retrying shortly")
                await asyncio.sleep(RETRY_WAIT)
                self._wake.set()

    async def _camera(self, serial: str) -> CameraView:
        wait, longest = DIRECTORY_RETRY
        while True:
            try:
                directory = await self.catalog.directory()
                break
            except MerakiError as error:
                # Restricted cameras must not leak into rooms: without the directory (tags)
                # no room can be told, so wait for it rather than guess.
                log.warning("camera directory unavailable error=%r; retrying in %ss", error, wait)
                await asyncio.sleep(wait)
                wait = min(wait * 2, longest)
        record = directory.get(serial)
        if record is None:
            return CameraView(serial, serial)
        return CameraView(record.serial, record.name, tuple(record.tags))

    def _malformed(self, topic: str, error: Malformed) -> None:
        self.metrics.inc("mvbot_mqtt_messages_total", outcome="malformed")
        self.metrics.inc("mvbot_mqtt_malformed_total", reason=error.reason)
        self._malformed_since_log += 1
        now = time.monotonic()
        if now - self._malformed_logged_at >= MALFORMED_LOG_EVERY:
            log.warning(
                "malformed plate message topic=%s error=%s count_since_last_log=%d",
                topic[:120],
                error,
                self._malformed_since_log,
            )
            self._malformed_logged_at, self._malformed_since_log = now, 0
