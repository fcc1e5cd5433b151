"""The core: parse what someone typed, check they may do it, run it, answer, and audit it."""

from __future__ import annotations

import asyncio
import logging
import secrets

from bot.access import Role
from bot.errors import Refused, UserError
from bot.grammar.tokens import ParseError, split_command
from bot.grammar.usage import unknown_command
from bot.inflight import Tracker
from bot.meraki.errors import MerakiError
from bot.meraki.explain import explain
from bot.messages import Message, Reply, SentMessage, Tone, literal
from bot.router import Command, Request, Router, send_answer
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

    async def handle(self, message: Message, tracker: Tracker | None = None) -> Outcome:
        """Run `message` and audit it; `tracker` is its stored row (bot.runner), finished
        with the audit row in one transaction."""
        try:
            outcome, detail, command = await self._run(message, tracker)
        except Exception as error:
            # Only a reply that could not be posted gets here (the platform is down): the
            # command is still audited, as failed.
            log.exception("reply not delivered platform=%s", message.place.platform)
            outcome, detail, command = Outcome.FAILED, f"reply not delivered: {error}", None
        earlier = tracker.take_earlier() if tracker is not None else None
        if earlier is not None:
            # The interrupted run's progress message was not taken over by this one.
            text = f"`{literal(message.text)}` was interrupted by a restart — answered below."
            await self._settle(message, earlier, Reply(text))
        await self._record(message, command, outcome, detail, tracker)
        return outcome

    async def abandon(self, message: Message, tracker: Tracker, reason: str) -> None:
        """Answer a command that restarts cut short too often or too long ago with a clear
        failure (in its progress message, if it has one), and audit it as failed."""
        text = (
            f"`{literal(message.text)}` was interrupted by a restart and I gave up on it "
            f"({reason}) — please ask again."
        )
        reply = Reply(text, tone=Tone.ERROR)
        earlier = tracker.take_earlier()
        if earlier is not None:
            await self._settle(message, earlier, reply)
        else:
            try:
                await self.services.outbox.send(message.place, reply, answering=message)
            except Exception:
                log.exception("give-up not delivered platform=%s", message.place.platform)
        try:
            command = self.router.find(split_command(message.text)[0])
        except ParseError:
            command = None
        await self._record(message, command, Outcome.FAILED, text, tracker)

    async def _settle(self, message: Message, sent: SentMessage, reply: Reply) -> None:
        """Edit a progress message to its final state; a failure is logged, not raised."""
        try:
            await self.services.outbox.update(sent, reply, answering=message)
        except Exception:
            log.exception("progress message not settled platform=%s", message.place.platform)

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

    async def _run(
        self, message: Message, tracker: Tracker | None
    ) -> tuple[Outcome, str, Command | None]:
        services = self.services

        async def answer(reply: Reply) -> None:
            await send_answer(services, message, reply, tracker)

        try:
            name, tokens = split_command(message.text)
        except ParseError as error:
            await answer(Reply(str(error), tone=Tone.ERROR))
            return Outcome.FAILED, str(error), None
        command = self.router.find(name)
        if command is None:
            text = str(unknown_command(name, [c.name for c in self.router.commands]))
            await answer(Reply(text, tone=Tone.ERROR))
            return Outcome.FAILED, text, None
        role = services.access.role_of(message.person, message.place)
        if role < command.role:
            text = (
                f"Sorry, `{command.name}` needs the {command.role.label} role, and you have "
                f"{'no role' if role is Role.NONE else 'the ' + role.label + ' role'} here. "
                "Ask an mvbot admin to grant it."
            )
            await answer(Reply(text, tone=Tone.REFUSED))
            return Outcome.REFUSED, text, command
        asked_at = tracker.accepted_at if tracker is not None else None
        request = Request(services, message, role, command, tracker, asked_at or services.clock())
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

    async def _record(
        self,
        message: Message,
        command: Command | None,
        outcome: Outcome,
        detail: str,
        tracker: Tracker | None,
    ) -> None:
        """Audit the command (with its stored row finished in the same transaction) and
        count it."""
        person, place = message.person, message.place
        entry = AuditEntry(
            platform=place.platform,
            person_id=person.id,
            person_email=person.email,
            place_id=place.room_id,
            command=message.text,
            action=command.name if command else "",
            outcome=outcome.value,
            detail=detail,
        )
        if tracker is not None:
            await tracker.finish(outcome is Outcome.FAILED, entry)
        else:
            await self.services.store.add_audit(entry)
        name = command.name if command else "unknown"
        self.services.metrics.inc("mvbot_commands_total", command=name, outcome=outcome.value)
