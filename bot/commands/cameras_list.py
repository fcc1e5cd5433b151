"""`cameras [filter]`: the cameras this room may see, with model, network, status and analytics."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.access import Role
from bot.grammar.formatting import local_time
from bot.grammar.tokens import join_words
from bot.grammar.usage import CommandHelp, drop_commas
from bot.messages import Reply, Tone
from bot.router import Command
from bot.store import Outcome

if TYPE_CHECKING:
    from bot.router import Request


# grammar --------------------------------------------------------------------------------

CAMERAS_HELP = CommandHelp(
    name="cameras",
    usage="cameras [filter]",
    summary="List the cameras, or those whose name, model, network, tag or status matches.",
    examples=("cameras", "cameras garage", "cameras offline", "cameras mv63"),
    details="Every word of the filter must match; `cameras all` lists everything.",
)


@dataclass(frozen=True)
class CamerasArgs:
    filter: str | None


def parse_cameras(tokens: Sequence[str]) -> CamerasArgs:
    text = join_words(drop_commas(tokens)).strip()
    return CamerasArgs(None if text.casefold() in ("", "all") else text)


# handler --------------------------------------------------------------------------------


# When mvbot has held a camera offline since (bot.health), if it has.
OfflineSince = Callable[[str], datetime | None]


async def camera_list(
    request: Request, tokens: list[str], offline_since: OfflineSince | None = None
) -> Reply:
    services = request.services
    args = parse_cameras(tokens)
    directory = await services.catalog.directory()
    place = request.message.place
    records = [r for r in directory.filter(args.filter) if services.access.may_see(r.tags, place)]
    if not records:
        text = (
            f"No camera matches '{args.filter}' — say `cameras` to list them all."
            if args.filter
            else "No cameras are available in this room."
        )
        return Reply(text, tone=Tone.WARNING)
    zone = directory.zone
    rows = [("Name", "Model", "Network", "Status", "Sense", "Plates")]
    rows += [
        (
            r.name,
            r.model,
            r.network_name,
            _status(r.status, offline_since(r.serial) if offline_since else None, zone(r)),
            "yes" if r.sense else "–",
            "yes" if r.lpr else "–",
        )
        for r in records
    ]
    offline = sum(r.status != "online" for r in records)
    summary = f"{len(records)} camera{'s' if len(records) != 1 else ''}"
    if offline:
        summary += f", {offline} not online"
    if args.filter:
        summary += f" matching '{args.filter}'"
    return Reply(summary, title="Cameras", table=tuple(rows))


def _status(status: str, offline_since: datetime | None, zone: ZoneInfo) -> str:
    if offline_since is None:
        return status
    return f"offline since {local_time(offline_since, zone)}"


def command(offline_since: OfflineSince | None = None) -> Command:
    async def run_cameras(request: Request, tokens: list[str]) -> Outcome:
        await request.say(await camera_list(request, tokens, offline_since))
        return Outcome.OK

    return Command(
        help=CAMERAS_HELP,
        role=Role.VIEWER,
        handler=run_cameras,
        aliases=("camera", "list"),
    )
