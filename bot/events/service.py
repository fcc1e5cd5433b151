"""Assembly of plates, events and alerts: built with the core, started after the adapters."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from pydantic import SecretStr
from starlette.routing import BaseRoute

from bot.clips.deferred import PendingClips
from bot.config.sections import (
    EventsSettings,
    MqttSettings,
    PlatesSettings,
    SensorsSettings,
)
from bot.events.allowlist import Allowlist
from bot.events.announce import Alerts
from bot.events.hook_intake import CameraStatus, EventIntake
from bot.events.hooks import hook_routes
from bot.events.ledger import AlertLedger
from bot.events.lpr import Tolerance
from bot.events.mqtt import Batch, Handler, MqttIngest
from bot.events.plate_history import PlateHistory
from bot.events.plate_intake import PlateIngest
from bot.events.processing_lock import ProcessingLock
from bot.events.sensor_links import SensorLinks
from bot.events.sightings import PlateLedger
from bot.events.watchlist import Watchlist
from bot.services import Services

log = logging.getLogger(__name__)


@dataclass
class EventServices:
    """Everything that turns outside events into messages, and the stores behind it."""

    plates_settings: PlatesSettings
    watchlist: Watchlist
    plate_ledger: PlateLedger
    alert_ledger: AlertLedger
    alerts: Alerts
    plates: PlateIngest
    intake: EventIntake
    history: PlateHistory
    allowlist: Allowlist
    mqtt: MqttIngest | None  # plates: durable
    sensor_links: SensorLinks
    sensors_settings: SensorsSettings
    live_mqtt: MqttIngest | None = None  # Sense counts: live only
    _taking_over: asyncio.Task[None] | None = field(default=None, init=False)

    async def start(self) -> None:
        """Finish the reads a previous run left unprocessed, then listen. Alerts left
        half-told are finished by `take_over_alerts`."""
        self.plates.start()
        for connection in (self.mqtt, self.live_mqtt):
            if connection is not None:
                await connection.start()
        log.info("events started mqtt=%s", self.mqtt is not None)

    async def take_over_alerts(
        self, alive: Callable[[str], Awaitable[bool]], unclaimed_after: timedelta
    ) -> int:
        """Finish the alerts this replica's earlier run or a dead replica left half-told
        (bot.events.announce, `Alerts.take_over`)."""
        taken = await self.alerts.take_over(alive, unclaimed_after=unclaimed_after)
        if taken:
            log.info("alerts taken over count=%d", taken)
        return taken

    def keep_taking_over(self, alive: Callable[[str], Awaitable[bool]], lease: timedelta) -> None:
        """`take_over_alerts` every third of `lease` until stopped, on every replica: a
        follower's own alert whose delivery failed is tried again as the leader's is, and
        not only when the follower restarts."""

        async def loop() -> None:
            while True:
                await asyncio.sleep(lease.total_seconds() / 3)
                try:
                    await self.take_over_alerts(alive, lease)
                except Exception as error:  # the store is down: the next turn tries again
                    log.warning("taking over alerts failed error=%r", error)

        self._taking_over = asyncio.create_task(loop(), name="alert takeover")

    async def stop(self) -> None:
        if self._taking_over is not None:
            self._taking_over.cancel()
            await asyncio.gather(self._taking_over, return_exceptions=True)
        for connection in (self.live_mqtt, self.mqtt):
            if connection is not None:
                await connection.stop()
        await self.plates.stop()
        await self.alerts.stop()

    def routes(self, secret: SecretStr | None) -> list[BaseRoute]:
        """The /hooks/* routes; none without a shared secret, since they could not be checked."""
        if secret is None:
            log.info("webhooks are off: set MVBOT_WEBHOOK_SECRET to receive /hooks/*")
            return []
        return list(hook_routes(self.intake, secret, self.plates.metrics))


def durable_client_id(client_id: str, replica_id: str | None) -> str:
    """The plate session's client id: one per replica, the same across its restarts so that
    the broker hands it back what it queued and what was unacknowledged. Without a
    configured replica id, the plain client id: the host name and pid would change at
    every restart and leave the old session behind, still taking its share of reads."""
    return f"{client_id}-{replica_id}" if replica_id else client_id


def build_events(
    services: Services,
    pending: PendingClips,
    plates: PlatesSettings,
    events: EventsSettings,
    mqtt: MqttSettings,
    sense: tuple[str, Handler] | None = None,
    health: tuple[Mapping[str, str], CameraStatus] | None = None,
    sensors: SensorsSettings | None = None,
    replica: tuple[str, str | None] = ("mvbot", None),
) -> EventServices:
    """`sense` (a topic filter and its handler) shares the connection for live Sense counts;
    `health` pairs the Meraki alert types that mean a camera went offline or came back
    (`HealthMonitor.kinds`) with the monitor's callback they are reported to;
    `replica` is this replica's name and its configured id (None: not configured)."""
    engine = services.store.engine
    sensors = sensors or SensorsSettings()
    sensor_links = SensorLinks(engine)
    alert_ledger = AlertLedger(engine)
    alerts = Alerts(
        services,
        pending,
        alert_ledger,
        snapshots=plates.snapshot,
        settle=plates.settle,
        settle_confidence=plates.settle_confidence,
        owner=replica[0],
    )
    plate_ledger = PlateLedger(engine)
    ingest = PlateIngest(
        plates,
        plate_ledger,
        alerts,
        services.catalog,
        services.access,
        services.metrics,
        services.clock,
        # Replicas may share a PostgreSQL store: one processes at a time. SQLite is one process.
        lock=ProcessingLock(engine) if engine.dialect.name == "postgresql" else None,
    )
    intake = EventIntake(
        events,
        alert_ledger,
        alerts,
        services.catalog,
        services.access,
        services.metrics,
        clock=services.clock,
        sensors=(sensors, sensor_links),
        camera_status=health,
    )
    broker = live = None
    if mqtt.url is not None:
        url = mqtt.url.get_secret_value()
        name, configured = replica
        broker = MqttIngest(
            url,
            {plates.topic: Batch(ingest.receive_many)},
            client_id=durable_client_id(mqtt.client_id, configured),
            ca_file=mqtt.ca_file,
            # SQLite is one process: no replicas to share with, and a group of one costs
            # Mosquitto's slower delivery of shared subscriptions (docs/benchmarks.md).
            share_group=mqtt.share_group if engine.dialect.name == "postgresql" else "",
        )
        if sense is not None:
            # Its own connection: the Sense filter covers the plate topic (see bot.events.mqtt).
            live = MqttIngest(
                url,
                {sense[0]: sense[1]},
                # Each replica needs every count: a plain subscription under its own id.
                client_id=f"{mqtt.client_id}-live-{name}",
                ca_file=mqtt.ca_file,
                live=True,
                elsewhere=frozenset({plates.topic}),
            )
    return EventServices(
        plates_settings=plates,
        watchlist=Watchlist(engine),
        plate_ledger=plate_ledger,
        alert_ledger=alert_ledger,
        alerts=alerts,
        plates=ingest,
        intake=intake,
        history=PlateHistory(
            engine, Tolerance(plates.edit_distance, plates.edit_distance_min_length)
        ),
        allowlist=Allowlist(engine),
        mqtt=broker,
        sensor_links=sensor_links,
        sensors_settings=sensors,
        live_mqtt=live,
    )
