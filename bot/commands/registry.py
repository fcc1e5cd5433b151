"""Every command the bot knows, registered explicitly in one place."""

from __future__ import annotations

from bot.clips.deferred import PendingClips
from bot.commands import (
    allows,
    cameras_list,
    clip,
    dashboard_rooms,
    exports,
    health,
    help,
    incidents,
    occupancy,
    plates,
    sensors,
    shares,
    snapshot,
    verify,
)
from bot.events.service import EventServices
from bot.exports import ExportService
from bot.health.monitor import HealthMonitor
from bot.incidents import IncidentService
from bot.occupancy import Occupancy
from bot.router import Router
from bot.shares import ShareService
from bot.shares.mail import Mailer


def build_router(
    pending: PendingClips,
    events: EventServices | None = None,
    share_service: ShareService | None = None,
    mailer: Mailer | None = None,
    occupancy_service: Occupancy | None = None,
    incident_service: IncidentService | None = None,
    export_service: ExportService | None = None,
    health_monitor: HealthMonitor | None = None,
) -> Router:
    offline_since = health_monitor.offline_since if health_monitor else None
    router = Router(
        [clip.command(pending), snapshot.command(pending), cameras_list.command(offline_since)]
    )
    if events is not None:
        for command in plates.commands(
            events.watchlist, events.plates_settings, events.history, events.allowlist
        ):
            router.add(command)
        for command in allows.commands(events.allowlist, events.watchlist):
            router.add(command)
        for command in sensors.commands(events.sensor_links, events.sensors_settings):
            router.add(command)
    if health_monitor is not None:
        for command in health.commands(health_monitor.store, health_monitor.settings):
            router.add(command)
    if share_service is not None:
        for command in shares.commands(share_service, mailer):
            router.add(command)
    if occupancy_service is not None:
        router.add(occupancy.command(occupancy_service))
    if incident_service is not None:
        for command in incidents.commands(incident_service):
            router.add(command)
    if export_service is not None:
        for command in exports.commands(export_service):
            router.add(command)
    for command in verify.commands():
        router.add(command)
    router.add(dashboard_rooms.COMMAND)
    router.add(help.command(router))
    return router
