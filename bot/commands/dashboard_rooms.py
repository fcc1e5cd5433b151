"""`dashboard room on|off`: whether this room's replies offer "Open in Dashboard" (admins)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.access import Role
from bot.grammar.tokens import ParseError
from bot.grammar.usage import CommandHelp, drop_commas
from bot.messages import Reply, Tone
from bot.router import Command
from bot.store import Outcome

if TYPE_CHECKING:
    from bot.router import Request

DASHBOARD_HELP = CommandHelp(
    name="dashboard",
    usage="dashboard room [on|off]",
    summary='Offer "Open in Dashboard" on clips, snapshots and heads-ups in this room (admins).',
    examples=("dashboard room on", "dashboard room off", "dashboard room"),
    details=(
        "The dashboard's own link needs a Meraki dashboard login: mark only rooms whose "
        "people have one. Without on or off, says whether this room is marked."
    ),
)
_USAGE = "Try `dashboard room on`, `dashboard room off` or `dashboard room`."


async def run_dashboard(request: Request, tokens: list[str]) -> Outcome:
    words = [w.lower() for w in drop_commas(tokens)]
    if not words or words[0] != "room" or len(words) > 2:
        raise ParseError(_USAGE)
    links, place = request.services.dashboard, request.message.place
    if len(words) == 1:
        marked = await links.marked(place)
        state = "offers" if marked else "does not offer"
        await request.say(Reply(f'This room {state} "Open in Dashboard" buttons.'))
        return Outcome.OK
    if words[1] not in ("on", "off"):
        raise ParseError(f"On or off? {_USAGE}")
    on = words[1] == "on"
    changed = await links.mark(place, on, request.message.person.label)
    if on:
        text = 'Clips, snapshots and heads-ups here now offer "Open in Dashboard".'
        if not changed:
            text = 'This room already offers "Open in Dashboard".'
    else:
        text = 'Replies here no longer offer "Open in Dashboard".'
        if not changed:
            text = 'This room does not offer "Open in Dashboard".'
    await request.say(Reply(text, tone=Tone.SUCCESS if changed else Tone.INFO))
    return Outcome.OK


COMMAND = Command(help=DASHBOARD_HELP, role=Role.ADMIN, handler=run_dashboard)
