"""`follow health [network]` and `unfollow health`: be told when cameras go offline and back.

A room that follows health hears once per change, after the debounce (bot.health); changing
that needs the operator role.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.access import Role
from bot.config.sections import HealthSettings
from bot.errors import UserError
from bot.grammar.lengths import format_length
from bot.grammar.tokens import ParseError, join_words
from bot.grammar.usage import CommandHelp, drop_commas
from bot.health.store import HealthStore
from bot.messages import Reply, Tone, literal
from bot.router import Command
from bot.store import Outcome

if TYPE_CHECKING:
    from bot.router import Request

FOLLOW_HELP = CommandHelp(
    name="follow",
    usage="follow health [network]",
    summary="Tell this room when a camera (of one network, or any) goes offline or comes back.",
    examples=("follow health", "follow health HQ"),
    details="A change is told once it has held for the debounce (2 min unless configured); "
    "a shorter flap tells nobody.",
)
UNFOLLOW_HELP = CommandHelp(
    name="unfollow",
    usage="unfollow health",
    summary="Stop telling this room about cameras going offline and back.",
    examples=("unfollow health",),
)


def _topic(tokens: list[str], usage: str) -> list[str]:
    words = drop_commas(tokens)
    if not words or words[0].lower() != "health":
        raise ParseError(f"Follow what? Try `{usage}`.")
    return words[1:]


class _Health:
    def __init__(self, store: HealthStore, settings: HealthSettings) -> None:
        self.store = store
        self.settings = settings

    async def follow(self, request: Request, tokens: list[str]) -> Outcome:
        network = join_words(_topic(tokens, FOLLOW_HELP.usage)).strip() or None
        if network is not None:
            directory = await request.services.catalog.directory()
            known = {r.network_id: r.network_name for r in directory}
            match = next(
                (n for i, n in known.items() if network.casefold() in (i.casefold(), n.casefold())),
                None,
            )
            if match is None:
                names = ", ".join(sorted(n for n in known.values() if n)) or "none"
                raise UserError(f"No network is called '{network}' — the networks are {names}.")
            network = match
        message = request.message
        person = message.person.email or message.person.id
        changed = await self.store.follow(message.place, network, person)
        where = f"in *{literal(network)}*" if network else "in any network"
        wait = format_length(self.settings.debounce)
        first = "This room follows" if changed else "This room already follows"
        text = (
            f"{first} camera health {where}: I'll say here when a camera goes offline or "
            f"comes back, once it has held for {wait}."
        )
        await request.say(Reply(text, tone=Tone.SUCCESS))
        return Outcome.OK

    async def unfollow(self, request: Request, tokens: list[str]) -> Outcome:
        if _topic(tokens, UNFOLLOW_HELP.usage):
            raise ParseError(f"Try `{UNFOLLOW_HELP.usage}`.")
        if not await self.store.unfollow(request.message.place):
            raise UserError("This room does not follow camera health.")
        await request.say(Reply("This room no longer follows camera health.", tone=Tone.SUCCESS))
        return Outcome.OK


def commands(store: HealthStore, settings: HealthSettings) -> list[Command]:
    family = _Health(store, settings)
    return [
        Command(help=FOLLOW_HELP, role=Role.OPERATOR, handler=family.follow),
        Command(help=UNFOLLOW_HELP, role=Role.OPERATOR, handler=family.unfollow),
    ]
