"""Every command the bot knows, registered explicitly in one place."""

from __future__ import annotations

from bot.clips.deferred import PendingClips
from bot.commands import (
    cameras_list,
    clip,
    dashboard_rooms,
    exports,
    help,
    incidents,
    occupancy,
    plates,
    shares,
    snapshot,
    verify,
)
from bot.events.service import EventServices
from bot.exports import ExportService
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
) -> Router:
    router = Router([clip.command(pending), snapshot.command(pending), cameras_list.COMMAND])
    if events is not None:
        for command in plates.commands(events.watchlist, events.plates_settings):
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
