"""Plate ingest: an MQTT message → a stored read (then acked) → sighting, matches, alerts.

`receive` is the MQTT handler: it returns (and so the message is acknowledged) once the
read is committed (bot.events.read_writer groups reads into few commits), or once a
message that can never be a read — too large, undecodable, refused by the store — has
been counted and logged as malformed. Only a store that is unavailable keeps a message
unacknowledged. Processing runs behind, in bot.events.read_processing.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from datetime import datetime

from bot.access import AccessPolicy
from bot.cameras.catalog import CameraCatalog
from bot.config.sections import PlatesSettings
from bot.events.announce import Alerts
from bot.events.decode import FieldMap, Malformed, PlateRead, decode_plate
from bot.events.faults import Backoff
from bot.events.lpr import Tolerance
from bot.events.processing_lock import ProcessingLock
from bot.events.read_processing import ReadProcessor
from bot.events.read_writer import ReadRefused, ReadWriter
from bot.events.sightings import CameraView, PlateLedger, PlateRules, Processed
from bot.meraki import MerakiError
from bot.telemetry.latency import reads_committed
from bot.telemetry.metrics import Metrics

log = logging.getLogger(__name__)

MALFORMED_LOG_EVERY = 60.0  # seconds between log lines about malformed messages
DIRECTORY_RETRY = Backoff(1.0, 60.0)  # between attempts at reading the camera directory


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
        lock: ProcessingLock | None = None,
    ) -> None:
        self.topic = settings.topic
        self.fields = FieldMap.from_settings(settings)
        self.max_payload = settings.max_payload
        self.oldest = settings.max_read_age
        self.rules = plate_rules(settings)
        self.ledger = ledger
        self.alerts = alerts
        self.catalog = catalog
        self.access = access
        self.metrics = metrics
        self.clock = clock
        self.writer = ReadWriter(lambda: self.ledger.store_reads)
        self.processor = ReadProcessor(
            ledger,
            self.rules,
            self._camera,
            access.may_see,
            self._deliver,
            metrics,
            turn=self.writer.turn,
            lock=lock,
        )
        self._malformed_since_log = 0
        self._malformed_logged_at = -MALFORMED_LOG_EVERY
        self.handled = 0  # messages that ended stored, duplicate or malformed
        self._handled_more = asyncio.Condition()
        metrics.describe("mvbot_mqtt_messages_total", "MQTT plate messages by outcome.")

    async def receive(self, topic: str, payload: bytes) -> None:
        """Handle one message: returning means it may be acknowledged."""
        await self.receive_many([(topic, payload)])

    async def receive_many(self, messages: Sequence[tuple[str, bytes]]) -> list[bool]:
        """The MQTT handler: every message that arrived together, decoded here and stored in
        as few commits as the writer can; returning means they may all be acknowledged."""
        reads: list[PlateRead] = []
        topics: list[str] = []
        received_at = self.clock()  # they arrived together
        for topic, payload in messages:
            try:
                if len(payload) > self.max_payload:
                    raise Malformed("too_large", f"{len(payload)} bytes, over {self.max_payload}")
                reads.append(
                    decode_plate(
                        topic, payload, self.topic, self.fields, received_at, oldest=self.oldest
                    )
                )
                topics.append(topic)
            except Malformed as error:
                self._malformed(topic, error)
        results = await self.writer.submit_many(reads)
        if reads:
            # Once per batch, not per read: a burst commits thousands of reads at a time.
            reads_committed(self.metrics, min(read.at for read in reads), self.clock())
        stored = 0
        for topic, result in zip(topics, results, strict=True):
            if isinstance(result, ReadRefused):
                self._malformed(topic, Malformed("refused", f"the store refused it ({result})"))
            elif result:
                stored += 1
            else:
                self.metrics.inc("mvbot_mqtt_messages_total", outcome="duplicate")
        if stored:
            self.metrics.inc("mvbot_mqtt_messages_total", stored, outcome="stored")
            self.processor.wake()
        self.handled += len(messages)
        async with self._handled_more:
            self._handled_more.notify_all()
        return [True] * len(messages)

    async def handled_times(self, count: int) -> None:
        """Return once `count` messages in all have been handled (for benches and tests)."""
        async with self._handled_more:
            await self._handled_more.wait_for(lambda: self.handled >= count)

    def start(self) -> None:
        """Process stored reads, those left from before a restart first."""
        self.writer.start()
        self.processor.start()

    async def stop(self) -> None:
        await self.writer.stop()
        await self.processor.stop()

    async def catch_up(self) -> int:
        """Process every stored read not processed yet; how many were."""
        return await self.processor.catch_up()

    def _deliver(self, done: Processed) -> None:
        for alert_id in done.alert_ids:
            self.metrics.inc("mvbot_alerts_total", kind="plate", outcome="matched")
            self.alerts.post(alert_id)
        if done.revised:
            self.alerts.revise(done.revised)

    async def _camera(self, serial: str) -> CameraView:
        attempt = 0
        while True:
            try:
                directory = await self.catalog.directory()
                break
            except MerakiError as error:
                # Restricted cameras must not leak into rooms: without the directory (tags)
                # no room can be told, so wait for it rather than guess.
                attempt += 1
                wait = DIRECTORY_RETRY.wait(attempt)
                log.warning("camera directory unavailable error=%r; retrying in %ss", error, wait)
                await asyncio.sleep(wait)
        record = directory.get(serial)
        if record is None:
            return CameraView(serial, serial)
        zone = directory.zone(record).key
        return CameraView(record.serial, record.name, tuple(record.tags), zone)

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
