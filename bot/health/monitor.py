"""Watches camera health: polls the availabilities, takes webhook news, tells the followers.

One poll of the organisation's availabilities (paginated, BACKGROUND priority: it yields to
every person and alert) per interval, never one request per camera. Each camera's seen
status goes through the debounce (bot.health.debounce); a confirmed change is stored with a
notice per following room (bot.health.store), then each notice is posted with its own
idempotency key, so a restart neither repeats a notice nor loses one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from functools import partial
from zoneinfo import ZoneInfo

from bot.access import AccessPolicy
from bot.cameras.catalog import CameraCatalog
from bot.config.sections import HealthSettings
from bot.events.ledger import AlertLedger
from bot.grammar.formatting import iso_utc, local_time
from bot.health.debounce import (
    OFFLINE,
    ONLINE,
    UNKNOWN_SINCE,
    CameraHealth,
    Change,
    first_seen,
    health_of,
    observe,
)
from bot.health.store import HealthStore, Notice, Told
from bot.meraki import MerakiClient, MerakiError, Priority
from bot.messages import Place, Reply, Tone, literal
from bot.outbox import NoAdapter, Outbox
from bot.telemetry.metrics import Metrics

log = logging.getLogger(__name__)

UTC_ZONE = ZoneInfo("UTC")
SEED_WAIT = 5.0  # seconds start waits for the camera directory (loaded already, normally)
RETRY_WAIT = 5.0  # seconds before a notice that could not be posted is tried again


class HealthMonitor:
    def __init__(
        self,
        settings: HealthSettings,
        meraki: MerakiClient,
        catalog: CameraCatalog,
        store: HealthStore,
        outbox: Outbox,
        metrics: Metrics,
        clock: Callable[[], datetime],
        access: AccessPolicy,
    ) -> None:
        self.settings = settings
        self.access = access
        self.meraki = meraki
        self.catalog = catalog
        self.store = store
        self.outbox = outbox
        self.metrics = metrics
        self.clock = clock
        self.polls = 0  # polls finished, for whoever waits on `polled`
        self._states: dict[str, CameraHealth] = {}
        self._lock = asyncio.Lock()  # one observation at a time: poll and webhooks
        self._polled = asyncio.Condition()
        self._tasks: set[asyncio.Task[None]] = set()
        self._loop: asyncio.Task[None] | None = None
        # Camera status alerts any replica stored; judged here only while this one leads.
        self.reports: AlertLedger | None = None
        # Which Meraki alert types say a camera went offline or came back (webhook intake too).
        self.kinds = {kind: OFFLINE for kind in settings.offline_alert_types} | {
            kind: ONLINE for kind in settings.online_alert_types
        }
        self._leading = False

    async def start(self) -> None:
        """Load the stored states, post what a previous run left unposted, judge the alerts
        stored meanwhile, start polling. Only the leader does this (bot.fleet)."""
        self._states = await self.store.states()
        self._leading = True
        for notice in await self.store.unposted():
            self._post(notice)
        await self._seed()
        await self.catch_up()
        if self.settings.poll_interval > timedelta(0):
            self._loop = asyncio.create_task(self._poll_forever(), name="camera health")

    async def stop(self) -> None:
        tasks = [*self._tasks, *([self._loop] if self._loop else [])]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def state(self, serial: str) -> CameraHealth | None:
        """What mvbot last told of the camera and what it sees now; None if never seen."""
        return self._states.get(serial)

    def offline_since(self, serial: str) -> datetime | None:
        """When the camera went offline, if mvbot holds it offline and saw it go."""
        state = self._states.get(serial)
        if state is None or state.status != OFFLINE or state.since == UNKNOWN_SINCE:
            return None
        return state.since

    async def wait_polls(self, count: int, timeout: float) -> bool:  # noqa: ASYNC109
        """Wait until `count` polls have finished in all; False if `timeout` seconds pass."""
        try:
            async with asyncio.timeout(timeout), self._polled:
                await self._polled.wait_for(lambda: self.polls >= count)
        except TimeoutError:
            return False
        return True

    async def poll(self) -> None:
        """One look at every camera's availability, and what follows from it."""
        found = await self.meraki.availabilities(priority=Priority.BACKGROUND)
        now = self.clock()
        await self.observe([(a.serial, health_of(a.status), now) for a in found])
        async with self._polled:
            self.polls += 1
            self._polled.notify_all()

    async def reported(self, event_id: int, serial: str, status: str, at: datetime) -> None:
        """A camera status alert stored as event `event_id`: judged now by the leader. On
        another replica it waits in the store for the leader's next `catch_up`, since only
        the leader holds the cameras' states (judging it here could contradict them)."""
        if not self._leading:
            return
        await self.report(serial, status, at)
        if self.reports is not None:
            await self.reports.health_judged([event_id])

    async def catch_up(self) -> int:
        """Judge the camera status alerts stored (by any replica) and not judged yet."""
        if not self._leading or self.reports is None:
            return 0
        waiting = await self.reports.health_reports()
        for report in waiting:
            status = self.kinds.get(report.type)
            if status is not None and report.at is not None:
                await self.report(report.serial, status, report.at)
        if waiting:
            await self.reports.health_judged([r.event_id for r in waiting])
        return len(waiting)

    async def report(self, serial: str, status: str, at: datetime) -> None:
        """News from a webhook: `serial` went `status` at `at`, debounced like a poll. It is
        looked at again once the debounce is over, in case no poll comes by then."""
        at = min(at, self.clock())
        await self.observe([(serial, status, at)])
        wait = (at + self.settings.debounce - self.clock()).total_seconds()
        task = asyncio.create_task(self._look_again(max(wait, 0.0)), name="health recheck")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _look_again(self, wait: float) -> None:
        await asyncio.sleep(wait)
        try:
            await self.observe([])
        except Exception:
            log.exception("camera health recheck failed")

    async def observe(self, seen: Sequence[tuple[str, str, datetime]]) -> None:
        async with self._lock:
            now = self.clock()
            debounce = self.settings.debounce
            seen_serials = {serial for serial, _, _ in seen}
            changed: list[CameraHealth] = []
            changes: list[Change] = []
            for serial, status, at in seen:
                before = self._states.get(serial)
                if before is None:
                    state, change = first_seen(serial, status, at), None
                else:
                    state, change = observe(before, status, at, now, debounce)
                if state != before:
                    changed.append(state)
                if change is not None:
                    changes.append(change)
            # A camera not in this answer keeps its state, but a pending change still matures.
            for serial, before in self._states.items():
                if serial not in seen_serials:
                    state, change = observe(before, before.seen, before.seen_since, now, debounce)
                    if change is not None:
                        changed.append(state)
                        changes.append(change)
            if not changed:
                return
            told = await self._told(changes)
            ids = await self.store.save(changed, told)
            self._states.update({state.serial: state for state in changed})
        for change in changes:
            log.info("camera health changed serial=%s status=%s", change.serial, change.status)
            self.metrics.inc("mvbot_camera_health_changes_total", status=change.status)
        for notice_id in ids:
            notice = await self.store.notice(notice_id)
            if notice is not None:
                self._post(notice)

    async def _told(self, changes: Sequence[Change]) -> list[Told]:
        try:
            directory = await self.catalog.directory()
        except MerakiError:
            directory = None
        told = []
        for change in changes:
            record = directory.get(change.serial) if directory else None
            name = record.name if record else change.serial
            networks = (record.network_id, record.network_name) if record else ()
            # A camera the directory does not know cannot be checked: only its tags could say.
            tags = record.tags if record else None
            told.append(Told(change, name, networks, partial(self._may_see, tags)))
        return told

    def _may_see(self, tags: tuple[str, ...] | None, place: Place) -> bool:
        return tags is not None and self.access.may_see(tags, place)

    async def _poll_forever(self) -> None:
        interval = self.settings.poll_interval.total_seconds()
        while True:
            # The catalog loaded the same answer at start (the seed): the first poll can wait.
            await asyncio.sleep(interval)
            try:
                await self.poll()
            except MerakiError as error:
                log.warning("camera health poll failed error=%r", error)
            except Exception:
                log.exception("camera health poll failed")

    async def _seed(self) -> None:
        """Cameras never seen before, as the camera directory saw them at start: an outage
        that begins before the first poll is then a change, not how the camera was found."""
        try:
            async with asyncio.timeout(SEED_WAIT):
                directory = await self.catalog.directory()
            now = self.clock()
            fresh = [(r.serial, health_of(r.status), now) for r in directory]
            await self.observe([s for s in fresh if s[0] not in self._states])
        except Exception as error:
            log.warning("camera health not seeded from the directory error=%r", error)

    def _post(self, notice: Notice) -> None:
        task = asyncio.create_task(self._deliver(notice), name=f"health notice {notice.id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _deliver(self, notice: Notice) -> None:
        reply = await self._reply(notice)
        while True:
            try:
                await self.outbox.send(notice.place, reply, key=f"health-notice-{notice.id}")
                break
            except NoAdapter as error:
                log.warning("health notice not posted notice=%s why=%s", notice.id, error)
                return  # left unposted: a process that runs that platform posts it
            except Exception as error:
                log.warning("posting a health notice failed notice=%s error=%r", notice.id, error)
                await asyncio.sleep(RETRY_WAIT)
        await self.store.posted(notice.id)
        self.metrics.inc("mvbot_health_notices_total", status=notice.status)

    async def _reply(self, notice: Notice) -> Reply:
        zone = UTC_ZONE
        label = notice.camera
        with contextlib.suppress(MerakiError):
            directory = await self.catalog.directory()
            record = directory.get(notice.serial)
            if record is not None:
                zone, label = directory.zone(record), record.label
        return health_reply(notice, label, zone)


def health_reply(notice: Notice, label: str, zone: ZoneInfo) -> Reply:
    """ "Lobby is offline since 14:02" or "Lobby is back online (since 14:09)"."""
    when = local_time(notice.at, zone)
    name = literal(notice.camera)
    if notice.status == "offline":
        text, tone = f"*{name}* is offline since {when}.", Tone.WARNING
    else:
        text, tone = f"*{name}* is back online since {when}.", Tone.SUCCESS
    return Reply(
        text,
        tone=tone,
        title=f"Camera {notice.status}: {notice.camera}",
        context=(f"{literal(label)} · {iso_utc(notice.at)}",),
    )
