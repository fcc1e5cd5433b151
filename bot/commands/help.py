"""`help [command]`: what the bot can do, limited to what the asker's role allows."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.access import Role
from bot.commands.grammar import HELP_HELP, parse_help, render_help
from bot.messages import Reply
from bot.router import Command, Router
from bot.store import Outcome

if TYPE_CHECKING:
    from bot.core import Request


def command(router: Router) -> Command:
    async def run_help(request: Request, tokens: list[str]) -> Outcome:
        args = parse_help(tokens)
        allowed = [c for c in router.commands if c.role <= max(request.role, Role.VIEWER)]
        found = router.find(args.topic) if args.topic else None
        topic = found.name if found else args.topic
        await request.say(Reply(render_help(topic, [c.help for c in allowed])))
        return Outcome.OK

    return Command(help=HELP_HELP, role=Role.NONE, handler=run_help, aliases=("?", "commands"))
