"""Occupancy threshold alerts: fire once above n, re-arm below the hysteresis band, cool down.

Counts come from every live MQTT update (LiveCounts calls the watcher, which queues the
work), and from a periodic REST poll for cameras whose MQTT counts are missing or stale.
Time is the reading's own time, so a replayed or delayed message cannot break a cooldown.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections import defaultdict
from datetime import datetime, timedelta
from enum import Enum
from zoneinfo import ZoneInfo

from bot.cameras.catalog import CameraCatalog
from bot.meraki import MerakiClient, MerakiError, Priority
from bot.messages import Button, Place, Reply, Tone
from bot.occupancy.live import LiveCounts, SenseUpdate
from bot.occupancy.threshold_store import AlertRule, AlertStore
from bot.outbox import Outbox

log = logging.getLogger(__name__)

PERSON = "person"


class Decision(Enum):
    FIRE = "fire"
    SUPPRESS = "suppress"  # crossed during the cooldown: no post, but disarmed all the same
    REARM = "rearm"
    KEEP = "keep"


def rearm_level(threshold: int, hysteresis: float) -> float:
    """The count must fall below this before the alert can fire again (at least one below n)."""
    return threshold - max(1.0, threshold * hysteresis)


def rearms_at(threshold: int, hysteresis: float) -> int:
    """The highest whole count that re-arms the alert, as replies say it."""
    return math.ceil(rearm_level(threshold, hysteresis)) - 1


def decide(
    rule: AlertRule, count: int, at: datetime, *, hysteresis: float, cooldown: timedelta
) -> Decision:
    if rule.armed and count > rule.threshold:
        cooling = rule.last_fired_at is not None and at - rule.last_fired_at < cooldown
        return Decision.SUPPRESS if cooling else Decision.FIRE
    if not rule.armed and count < rearm_level(rule.threshold, hysteresis):
        return Decision.REARM
    return Decision.KEEP


class AlertWatcher:
    """Holds the alert rules in memory, evaluates counts against them, and posts firings."""

    def __init__(
        self,
        store: AlertStore,
        live: LiveCounts,
        meraki: MerakiClient,
        catalog: CameraCatalog,
        outbox: Outbox,
        *,
        hysteresis: float,
        cooldown: timedelta,
        poll_interval: timedelta,
    ) -> None:
        self._store = store
        self._live = live
        self._meraki = meraki
        self._catalog = catalog
        self._outbox = outbox
        self.hysteresis = hysteresis
        self.cooldown = cooldown
        self._poll_interval = poll_interval
        self._rules: dict[int, AlertRule] = {}
        self._watched: defaultdict[tuple[str, str], set[int]] = defaultdict(set)
        self._queue: asyncio.Queue[tuple[str, str, int, datetime]] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []
        self._lock = asyncio.Lock()  # one evaluation at a time: a rule's state is read-modify-write

    async def start(self, *, poll: bool = True) -> None:
        for rule in await self._store.all():
            self._remember(rule)
        # Firings a crash or an outage kept from their room: posted now, once (keyed).
        async with self._lock:
            for rule in self.rules():
                if rule.unposted_count is not None and rule.last_fired_at is not None:
                    await self._post(rule, rule.unposted_count, rule.last_fired_at)
        self._live.subscribe(self._on_update)
        self._tasks.append(asyncio.create_task(self._work(), name="occupancy alerts"))
        if poll:
            self._tasks.append(asyncio.create_task(self._poll(), name="occupancy alert poll"))
        log.info("occupancy alerts started rules=%d", len(self._rules))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()

    async def settled(self) -> None:
        """Return once every update received so far has been evaluated (for tests and demos)."""
        await self._queue.join()

    # Rules ---------------------------------------------------------------------------

    def rules(self) -> list[AlertRule]:
        return sorted(self._rules.values(), key=lambda r: r.id)

    def rules_in(self, place: Place) -> list[AlertRule]:
        """The alerts posting to `place`'s room (any thread of it)."""
        room = (place.platform, place.room_id)
        return [r for r in self.rules() if (r.place.platform, r.place.room_id) == room]

    async def add(self, rule: AlertRule) -> AlertRule:
        stored = await self._store.add(rule)
        self._remember(stored)
        return stored

    async def remove(self, rule_id: int) -> bool:
        rule = self._rules.pop(rule_id, None)
        if rule is not None:
            self._watched[(rule.serial, rule.zone_id)].discard(rule_id)
        return await self._store.remove(rule_id)

    def _remember(self, rule: AlertRule) -> None:
        self._rules[rule.id] = rule
        self._watched[(rule.serial, rule.zone_id)].add(rule.id)

    # Counts --------------------------------------------------------------------------

    def _on_update(self, update: SenseUpdate) -> None:
        # Called for every MQTT message: a dictionary lookup, and work only when watched.
        if self._watched.get((update.serial, update.zone_id)) and PERSON in update.counts:
            count = update.counts[PERSON]
            self._queue.put_nowait((update.serial, update.zone_id, count, update.at))

    async def _work(self) -> None:
        while True:
            serial, zone_id, count, at = await self._queue.get()
            try:
                await self.observe(serial, zone_id, count, at)
            except Exception:
                log.exception("occupancy alert evaluation failed serial=%s", serial)
            finally:
                self._queue.task_done()

    async def observe(self, serial: str, zone_id: str, count: int, at: datetime) -> None:
        """Evaluate one count of one zone against every rule watching it."""
        async with self._lock:
            for rule_id in sorted(self._watched.get((serial, zone_id), ())):
                rule = self._rules.get(rule_id)
                if rule is None:
                    continue
                decision = decide(
                    rule, count, at, hysteresis=self.hysteresis, cooldown=self.cooldown
                )
                if decision is Decision.KEEP:
                    continue
                if decision is not Decision.REARM and not await self._in_hours(rule, at):
                    continue  # outside its hours: no firing now; the first count inside may
                armed = decision is Decision.REARM
                firing = decision is Decision.FIRE
                fired_at = at if firing else rule.last_fired_at
                unposted = count if firing else rule.unposted_count
                rule = rule.with_state(armed, fired_at, unposted)
                self._rules[rule.id] = rule
                await self._store.save_state(rule)  # the firing is stored before its post
                if firing:
                    await self._post(rule, count, at)
                elif decision is Decision.SUPPRESS:
                    log.info(
                        "occupancy alert in cooldown, not posted id=%d count=%d", rule.id, count
                    )

    async def poll_once(self) -> None:
        """Ask the REST live endpoint for every watched camera that MQTT is not keeping fresh."""
        by_serial: defaultdict[str, set[str]] = defaultdict(set)
        for rule in self._rules.values():
            by_serial[rule.serial].add(rule.zone_id)
        for serial, zone_ids in by_serial.items():
            if self._live.fresh(serial, sorted(zone_ids)) is not None:
                continue
            try:
                live = await self._meraki.analytics_live(serial, priority=Priority.BACKGROUND)
            except MerakiError as error:
                log.warning("occupancy alert poll failed serial=%s error=%r", serial, error)
                continue
            for zone_id in sorted(zone_ids):
                counts = live.zones.get(zone_id)
                if counts is not None and PERSON in counts:
                    await self.observe(serial, zone_id, counts[PERSON], live.at)

    async def _poll(self) -> None:
        seconds = self._poll_interval.total_seconds()
        while True:
            await asyncio.sleep(seconds)
            if self._rules:
                await self.poll_once()

    async def _post(self, rule: AlertRule, count: int, at: datetime) -> None:
        zone = await self._zone_of(rule.serial)
        again = rearms_at(rule.threshold, self.hysteresis)
        people = "person" if count == 1 else "people"
        reply = Reply(
            title=f"{rule.camera} — occupancy alert",
            text=(
                f"*{rule.camera}* · {rule.zone_name}: *{count} {people}*, above the alert "
                f"level of {rule.threshold} (at {at.astimezone(zone):%H:%M:%S %Z})."
            ),
            tone=Tone.WARNING,
            context=(
                f"Alert #{rule.id}. It fires again once the count has been {again} or fewer "
                f"and rises above {rule.threshold}.",
            ),
            buttons=(
                Button("Occupancy now", f'occupancy {rule.serial} zone "{rule.zone_name}"'),
                Button("Turn off", f"occupancy alert off {rule.id}", danger=True),
            ),
        )
        try:
            # Keyed by the firing: a firing is posted once even if a reading replays it.
            key = f"occupancy-{rule.id}-{at.isoformat()}"
            await self._outbox.send(rule.place, reply, key=key)
        except Exception:
            # Kept as unposted: the next start posts it.
            log.exception("occupancy alert could not be posted id=%d", rule.id)
            return
        posted = self._rules.get(rule.id)
        if posted is not None and posted.unposted_count is not None:
            posted = posted.with_state(posted.armed, posted.last_fired_at, None)
            self._rules[rule.id] = posted
            await self._store.save_state(posted)

    async def _in_hours(self, rule: AlertRule, at: datetime) -> bool:
        if rule.hours is None:
            return True
        return rule.hours.contains(at.astimezone(await self._zone_of(rule.serial)))

    async def _zone_of(self, serial: str) -> ZoneInfo:
        try:
            directory = await self._catalog.directory()
        except MerakiError:
            return ZoneInfo("UTC")
        record = directory.get(serial)
        return directory.zone(record) if record else ZoneInfo("UTC")
