"""`help [command]`: what the bot can do, limited to what the asker's role allows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.access import Role
from bot.grammar.usage import CommandHelp, drop_commas, render_help
from bot.messages import Reply
from bot.router import Command, Router
from bot.store import Outcome

if TYPE_CHECKING:
    from bot.router import Request


# grammar --------------------------------------------------------------------------------

HELP_HELP = CommandHelp(
    name="help",
    usage="help [command]",
    summary="List the commands, or explain one.",
    examples=("help", "help clip"),
)


@dataclass(frozen=True)
class HelpArgs:
    topic: str | None


def parse_help(tokens: Sequence[str]) -> HelpArgs:
    words = drop_commas(tokens)
    topic = words[0].casefold().strip("/?:!.") if words else ""
    return HelpArgs(topic or None)


# handler --------------------------------------------------------------------------------


def command(router: Router) -> Command:
    async def run_help(request: Request, tokens: list[str]) -> Outcome:
        args = parse_help(tokens)
        allowed = [c for c in router.commands if c.role <= max(request.role, Role.VIEWER)]
        found = router.find(args.topic) if args.topic else None
        topic = found.name if found else args.topic
        await request.say(Reply(render_help(topic, [c.help for c in allowed])))
        return Outcome.OK

    return Command(help=HELP_HELP, role=Role.NONE, handler=run_help, aliases=("?", "commands"))
