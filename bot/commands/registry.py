"""Every command the bot knows, registered explicitly in one place."""

from __future__ import annotations

from bot.clips.deferred import PendingClips
from bot.commands import allows, cameras_list, clip, help, occupancy, plates, shares, snapshot
from bot.events.service import EventServices
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
) -> Router:
    router = Router([clip.command(pending), snapshot.command(pending), cameras_list.COMMAND])
    if events is not None:
        for command in plates.commands(
            events.watchlist, events.plates_settings, events.history, events.allowlist
        ):
            router.add(command)
        for command in allows.commands(events.allowlist, events.watchlist):
            router.add(command)
    if share_service is not None:
        for command in shares.commands(share_service, mailer):
            router.add(command)
    if occupancy_service is not None:
        router.add(occupancy.command(occupancy_service))
    router.add(help.command(router))
    return router
