"""The core: parse what someone typed, check they may do it, run it, answer, and audit it."""

from __future__ import annotations

import asyncio
import logging
import secrets

from bot.access import Role
from bot.errors import Refused, UserError
from bot.grammar.tokens import ParseError, split_command
from bot.grammar.usage import unknown_command
from bot.meraki.errors import MerakiError
from bot.meraki.explain import explain
from bot.messages import Message, Reply, Tone
from bot.router import Command, Request, Router
from bot.services import Services
from bot.store import AuditEntry, Outcome

log = logging.getLogger(__name__)

# Slack wants an answer within 3 s; a preview that needs longer is not worth waiting for.
PREVIEW_TIMEOUT = 1.5


class Bot:
    """Platform-neutral: the runner calls `handle` for each command; adapters render what
    comes back."""

    def __init__(self, services: Services, router: Router) -> None:
        self.services = services
        self.router = router

    async def handle(self, message: Message) -> Outcome:
        try:
            outcome, detail, command = await self._run(message)
        except Exception as error:
            # Only a reply that could not be posted gets here (the platform is down): the
            # command is still audited, as failed.
            log.exception("reply not delivered platform=%s", message.place.platform)
            outcome, detail, command = Outcome.FAILED, f"reply not delivered: {error}", None
        await self._audit(message, command, outcome, detail)
        name = command.name if command else "unknown"
        self.services.metrics.inc("mvbot_commands_total", command=name, outcome=outcome.value)
        return outcome

    async def preview(self, message: Message) -> str:
        """A one-line acknowledgement for platforms that must answer within seconds.

        Best effort and side-effect free: anything it cannot work out quickly (a parse
        error, an unknown camera) is left for `handle` to say properly.
        """
        generic = f"Working on `{message.text.strip()}`…"
        try:
            name, tokens = split_command(message.text)
        except ParseError:
            return generic
        command = self.router.find(name)
        if command is None or command.preview is None:
            return generic
        role = self.services.access.role_of(message.person, message.place)
        if role < command.role:
            return generic
        try:
            async with asyncio.timeout(PREVIEW_TIMEOUT):
                return await command.preview(
                    Request(self.services, message, role, command), list(tokens)
                )
        except Exception:  # a preview never fails the command: `handle` reports problems
            return generic

    async def _run(self, message: Message) -> tuple[Outcome, str, Command | None]:
        services = self.services
        try:
            name, tokens = split_command(message.text)
        except ParseError as error:
            await services.outbox.send(
                message.place, Reply(str(error), tone=Tone.ERROR), answering=message
            )
            return Outcome.FAILED, str(error), None
        command = self.router.find(name)
        if command is None:
            text = str(unknown_command(name, [c.name for c in self.router.commands]))
            await services.outbox.send(
                message.place, Reply(text, tone=Tone.ERROR), answering=message
            )
            return Outcome.FAILED, text, None
        role = services.access.role_of(message.person, message.place)
        if role < command.role:
            text = (
                f"Sorry, `{command.name}` needs the {command.role.label} role, and you have "
                f"{'no role' if role is Role.NONE else 'the ' + role.label + ' role'} here. "
                "Ask an mvbot admin to grant it."
            )
            await services.outbox.send(
                message.place, Reply(text, tone=Tone.REFUSED), answering=message
            )
            return Outcome.REFUSED, text, command
        request = Request(services, message, role, command)
        try:
            outcome = await command.handler(request, list(tokens))
            return outcome, "", command
        except (ParseError, UserError) as error:
            await request.say(Reply(str(error), tone=Tone.ERROR))
            return Outcome.FAILED, str(error), command
        except Refused as refusal:
            await request.say(Reply(str(refusal), tone=Tone.REFUSED))
            return Outcome.REFUSED, str(refusal), command
        except MerakiError as error:
            text = explain(error)
            await request.say(Reply(text, tone=Tone.ERROR))
            return Outcome.FAILED, text, command
        except Exception:
            ref = secrets.token_hex(4)
            log.exception("command failed ref=%s command=%s", ref, command.name)
            text = f"Something went wrong on my side (ref {ref}). The error is in the bot's log."
            await request.say(Reply(text, tone=Tone.ERROR))
            return Outcome.FAILED, f"internal error ref={ref}", command

    async def _audit(
        self, message: Message, command: Command | None, outcome: Outcome, detail: str
    ) -> None:
        person, place = message.person, message.place
        await self.services.store.add_audit(
            AuditEntry(
                platform=place.platform,
                person_id=person.id,
                person_email=person.email,
                place_id=place.room_id,
                command=message.text,
                action=command.name if command else "",
                outcome=outcome.value,
                detail=detail,
            )
        )
