"""Assembly: build the core and its services from Settings, run them, and close them in order."""

from __future__ import annotations

import asyncio
import functools
import gc
import hashlib
import os
import secrets
import socket
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta

from bot.access import AccessPolicy, Role
from bot.cameras.catalog import CameraCatalog
from bot.clips.deferred import PendingClips
from bot.commands.registry import build_router
from bot.config import AccessSettings, Settings
from bot.config.sections import MerakiSettings, ReplicaSettings
from bot.core import Bot
from bot.events.service import EventServices, build_events
from bot.exports import ExportService
from bot.fleet import Fleet
from bot.fleet.channel_turns import ChannelTurns
from bot.fleet.duties import LeaderDuties
from bot.health.monitor import HealthMonitor
from bot.health.store import HealthStore
from bot.incidents import IncidentService
from bot.inflight import CommandJournal
from bot.media.housekeeping import sweeping
from bot.meraki import MerakiClient
from bot.meraki.http import Attempt
from bot.meraki.shared_budget import organisation_budget
from bot.occupancy import SENSE_TOPIC, Occupancy
from bot.outbox import Adapter, Outbox, PaceSharing
from bot.runner import STOP_GRACE, Patience, Runner
from bot.scheduler import Scheduler
from bot.services import Services
from bot.shares import ShareService, ShareStore
from bot.shares.mail import Mailer
from bot.shares.stream_leases import Leases, SoloLeases, StreamLeases
from bot.shares.streams import StreamHub
from bot.store import Store, configured_database_url
from bot.store.one_process import holding_sqlite
from bot.store.posts import PostLedger
from bot.telemetry.latency import describe_latencies, job_started
from bot.telemetry.metrics import Metrics
from bot.web.links import signing_key

# Loading the camera directory at start spares the first command its wait (about a second);
# a cloud that does not answer in this long is not waited for.
WARM_UP_TIMEOUT = 15.0


def access_policy(settings: AccessSettings) -> AccessPolicy:
    people: dict[str, Role] = {}
    # Listed lowest first so that someone named twice keeps the higher role.
    for role, names in (
        (Role.VIEWER, settings.viewers),
        (Role.OPERATOR, settings.operators),
        (Role.ADMIN, settings.admins),
    ):
        people.update({name.strip().lower(): role for name in names})
    return AccessPolicy(
        default_role=Role.parse(settings.default_role.value),
        people=people,
        domains={d.lower(): Role.parse(r.value) for d, r in settings.domains.items()},
        rooms={room: Role.parse(r.value) for room, r in settings.rooms.items()},
        tag_rooms={t.lower(): frozenset(rooms) for t, rooms in settings.restricted_tags.items()},
    )


@dataclass
class Running:
    """A started bot and the parts a caller (the CLI, a test) may want to reach."""

    bot: Bot
    runner: Runner  # every command from every adapter runs here
    services: Services
    pending: PendingClips
    events: EventServices
    shares: ShareService
    streams: StreamHub
    occupancy: Occupancy  # its `live` is what Sense MQTT messages feed
    incidents: IncidentService
    exports: ExportService
    health: HealthMonitor
    signing_key: bytes  # the installation's, from the store: links, PIN proofs, timelines
    fleet: Fleet  # this replica among those on the database


def replica_name(settings: ReplicaSettings) -> str:
    """The configured replica id, else this host's name and this process's id."""
    return settings.id or f"{socket.gethostname()}-{os.getpid()}"


def budget_org(settings: MerakiSettings) -> str:
    """The organisation the replicas' shared budget is kept under: its id when configured,
    else a digest of the API endpoint and key (the same on every replica, and no secret)."""
    if settings.org_id:
        return settings.org_id
    key = settings.api_key.get_secret_value() if settings.api_key else ""
    return "key-" + hashlib.sha256(f"{settings.base_url}\n{key}".encode()).hexdigest()[:32]


def stream_leases(store: Store, lease: timedelta) -> Leases:
    """Replicas share PostgreSQL, and one of them fetches each camera's stream; SQLite serves
    one process, which fetches every stream itself."""
    if store.engine.dialect.name == "postgresql":
        return StreamLeases(store.engine, lease)
    return SoloLeases()


@asynccontextmanager
async def running_bot(
    settings: Settings, adapters: Sequence[Adapter], *, on_lost: Callable[[], None] | None = None
) -> AsyncIterator[Running]:
    """Start store, scheduler, API client and adapters; resume pending work; stop all on exit.

    `on_lost` replaces exiting the process when the database connection that holds this
    replica's locks is lost (bot.fleet: tests run replicas in one process)."""
    lost = {"on_lost": on_lost} if on_lost is not None else {}
    if settings.meraki.api_key is None:
        raise ValueError("a Meraki API key is required (MVBOT_MERAKI_API_KEY)")
    files = settings.store.data_dir / "media"
    files.mkdir(parents=True, exist_ok=True)
    database_url = configured_database_url(settings.store)
    async with AsyncExitStack() as stack:
        stack.enter_context(holding_sqlite(database_url))
        store = await Store.open(database_url)
        stack.push_async_callback(store.close)
        key = await signing_key(store.engine, settings.store.data_dir)
        replica = replica_name(settings.replica)
        # Early: a replica whose id another live process holds stops here, having done nothing.
        fleet = Fleet(replica, store.engine, database_url, settings.replica.lease, **lost)
        await fleet.start()
        stack.push_async_callback(fleet.stop)
        metrics = Metrics(replica=replica)
        metrics.describe("mvbot_meraki_requests_total", "Dashboard API attempts by outcome")
        loop = asyncio.get_running_loop()
        # A task count that only grows is a leak no counter shows (bench/soak.py watches it).
        metrics.gauge(
            "mvbot_tasks",
            "asyncio tasks alive in mvbot's event loop",
            lambda: len(asyncio.all_tasks(loop)),
        )

        metrics.describe(
            "mvbot_meraki_request_seconds", "Dashboard API latency by operation and outcome"
        )
        metrics.describe(
            "mvbot_budget_wait_seconds", "Wait for the organisation's rate budget, by priority"
        )
        describe_latencies(metrics)

        def count_api_attempt(attempt: Attempt) -> None:
            metrics.inc("mvbot_meraki_requests_total", outcome=attempt.outcome)
            metrics.observe(
                "mvbot_meraki_request_seconds",
                attempt.seconds,
                operation=attempt.operation,
                outcome=attempt.outcome,
            )
            metrics.observe(
                "mvbot_budget_wait_seconds", attempt.waited, priority=attempt.priority.name.lower()
            )

        # On PostgreSQL every replica spends one budget; on SQLite (one process) it is in memory.
        budget = organisation_budget(
            store.engine,
            budget_org(settings.meraki),
            replica,
            settings.meraki.rate,
            settings.meraki.rate_margin,
        )
        stack.push_async_callback(budget.aclose)
        meraki = MerakiClient(
            settings.meraki.api_key.get_secret_value(),
            settings.meraki.base_url,
            org_id=settings.meraki.org_id,
            rate=settings.meraki.rate,
            budget=budget,
            observe=count_api_attempt,
        )
        stack.push_async_callback(meraki.aclose)
        # Automatic posts keep their idempotency keys in the store: at most once across restarts.
        post_ledger = PostLedger(store.engine)
        outbox = Outbox(post_ledger)
        for adapter in adapters:
            outbox.add(adapter)
            # On PostgreSQL replicas post into one channel at the platform's pace together.
            if isinstance(adapter, PaceSharing) and store.engine.dialect.name == "postgresql":
                adapter.share_pace(ChannelTurns(store.engine, adapter.platform))
        scheduler = Scheduler(store.engine, functools.partial(job_started, metrics))
        catalog = CameraCatalog(
            meraki, aliases=settings.cameras.aliases, time_zones=settings.cameras.time_zones
        )
        stack.push_async_callback(catalog.close)
        await catalog.warm(WARM_UP_TIMEOUT)
        services = Services(
            meraki=meraki,
            catalog=catalog,
            store=store,
            scheduler=scheduler,
            outbox=outbox,
            access=access_policy(settings.access),
            files=files,
            clips=settings.clips,
            room_zones=settings.cameras.room_time_zones,
            person_zones=settings.cameras.person_time_zones,
            metrics=metrics,
        )
        pending = PendingClips(services)
        occupancy = Occupancy(
            settings.occupancy,
            meraki,
            services.catalog,
            store.engine,
            outbox,
            services.clock,
            mqtt=settings.mqtt.url is not None,
        )
        health = HealthMonitor(
            settings.health,
            meraki,
            catalog,
            HealthStore(store.engine),
            outbox,
            metrics,
            services.clock,
            services.access,
        )
        events = build_events(
            services,
            pending,
            settings.plates,
            settings.events,
            settings.mqtt,
            sense=(SENSE_TOPIC, occupancy.receive),
            health=(health.kinds, health.reported),
            sensors=settings.sensors,
            replica=(replica, settings.replica.id),
        )
        health.reports = events.alert_ledger
        smtp = settings.smtp
        mailer = Mailer(smtp.url.get_secret_value(), smtp.sender) if smtp.url else None
        shares = ShareService(
            ShareStore(store.engine),
            scheduler,
            outbox,
            settings.shares,
            clock=services.clock,
            public_url=settings.http.public_url,
        )
        streams = StreamHub(
            meraki,
            settings.store.data_dir / "streams",
            settings.shares.segment_length,
            settings.clips.availability_lag,
            services.clock,
            stream_leases(store, settings.shares.stream_lease),
            # Unique even if two replicas were given one id: each must know its own lease.
            holder=f"{metrics.replica}/{secrets.token_hex(4)}",
        )
        stack.push_async_callback(streams.close)
        incidents = IncidentService(
            services,
            settings.incidents,
            key,
            settings.store.data_dir / "incidents",
            public_url=settings.http.public_url,
        )
        http = settings.http
        exports = ExportService(
            services,
            settings.exports,
            settings.store.data_dir / "exports",  # not under media/: kept longer than clips
            key,
            public_url=http.public_url or f"http://{http.host}:{http.port}",
        )
        stack.push_async_callback(exports.stop)
        router = build_router(
            pending, events, shares, mailer, occupancy, incidents, exports, health
        )
        bot = Bot(services, router)
        # Every replica stores jobs; only the leader runs them (LeaderDuties).
        await scheduler.open()
        stack.push_async_callback(scheduler.shutdown)
        patience = Patience(settings.store.resume_attempts, settings.store.resume_within)
        runner = Runner(
            bot,
            journal=CommandJournal(store.engine),
            patience=patience,
            owner=replica,
            alive=fleet.alive,
        )
        for adapter in adapters:
            await adapter.start(runner)
            stack.push_async_callback(adapter.stop)
        # Stopped before the adapters close their clients: running commands still answer.
        stack.push_async_callback(runner.stop, STOP_GRACE)
        # After the adapters start, so that the commands a restart cut short can answer.
        await runner.resume(outbox.redelivery)

        # Every replica finishes its own earlier run's alerts (to the others it is alive), and
        # any left by dead replicas (one never claimed for a lease was stored by a replica that
        # died before it could); then looks again every third of the lease, for its own whose
        # delivery failed and for those of replicas that died since.
        await events.take_over_alerts(fleet.alive, settings.replica.lease)
        events.keep_taking_over(fleet.alive, settings.replica.lease)

        async def lead(duties: AsyncExitStack) -> None:
            # Jobs run here only; the resumes re-arm from the feature tables, the source of
            # truth (a job a dead leader had taken off the scheduler's table is armed again).
            await scheduler.lead()
            await pending.resume()
            await shares.resume()
            await incidents.jobs.resume()
            await exports.resume()
            await occupancy.start()  # threshold alerts and their polling
            duties.push_async_callback(occupancy.stop)
            await health.start()  # camera health polling and its notices
            duties.push_async_callback(health.stop)
            await duties.enter_async_context(
                sweeping(files, settings.store.media_keep, forget=post_ledger.forget)
            )

        async def tick() -> None:
            # The commands of replicas that died since, and the camera status alerts the
            # other replicas stored.
            await runner.take_over(outbox.redelivery)
            await health.catch_up()

        duties = LeaderDuties(lead, tick)
        stack.push_async_callback(duties.stop)
        # Now on SQLite, or when this replica is elected: after the adapters, so that what
        # the duties resume can post at once.
        await fleet.lead(duties.start, duties.tick)
        stack.push_async_callback(fleet.stop_watching)
        # What start-up loaded (modules, tables, settings) lives as long as the bot: frozen out
        # of the collector's full passes, which otherwise walk all of it again every few
        # thousand plate reads, about 0.1 s each (docs/benchmarks.md, plate ingest). Unfrozen
        # at stop, so that a process that runs bots one after another collects what each left.
        gc.freeze()
        stack.callback(gc.unfreeze)
        # Last: a broker hands a backlog over as soon as the connection is up, and the reads
        # then get the process to themselves. MQTT only with MVBOT_MQTT_URL; plate reads are
        # shared out by the broker.
        await events.start()
        stack.push_async_callback(events.stop)
        yield Running(
            bot,
            runner,
            services,
            pending,
            events=events,
            shares=shares,
            streams=streams,
            occupancy=occupancy,
            incidents=incidents,
            exports=exports,
            health=health,
            signing_key=key,
            fleet=fleet,
        )
