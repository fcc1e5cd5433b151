"""Every command the bot knows, registered explicitly in one place."""

from __future__ import annotations

from bot.commands import cameras_list, clip, help, snapshot
from bot.pending import PendingClips
from bot.router import Router


def build_router(pending: PendingClips) -> Router:
    router = Router([clip.command(pending), snapshot.COMMAND, cameras_list.COMMAND])
    router.add(help.command(router))
    return router
