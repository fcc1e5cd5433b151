"""The commands table's reads and writes, each in one transaction off the event loop."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, Engine, Row, and_, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from bot.inflight.tables import commands
from bot.messages import Message, SentMessage
from bot.store.records import AuditEntry
from bot.store.schema import audit_insert
from bot.store.work import fetch, transact, write

log = logging.getLogger(__name__)

# Finished rows are kept this long so that a redelivery (Webex retries for minutes, Slack
# signs a request for five) is still refused; a day is far past both.
KEEP = timedelta(days=1)
# How long a run may hold a command before another process could take it over (recorded
# now, enforced once several processes share a database).
LEASE = timedelta(minutes=30)


class CommandStatus(StrEnum):
    ACCEPTED = "accepted"  # stored, not yet read
    RUNNING = "running"
    DONE = "done"  # answered
    FAILED = "failed"  # answered with a failure, or given up


_UNFINISHED = (CommandStatus.ACCEPTED.value, CommandStatus.RUNNING.value)
_FINISHED = (CommandStatus.DONE.value, CommandStatus.FAILED.value)


@dataclass(frozen=True)
class CommandRecord:
    """One stored command."""

    platform: str
    key: str
    raw: Mapping[str, Any] | None
    message: Message | None
    status: CommandStatus
    owner: str | None  # the replica running it, or that last ran it
    progress: SentMessage | None
    attempts: int
    accepted_at: datetime


def _now() -> datetime:
    return datetime.now(UTC)


class CommandJournal:
    """Every command from its delivery to its answer; (platform, key) is never run twice."""

    def __init__(self, engine: Engine, *, clock: Callable[[], datetime] = _now) -> None:
        self._engine = engine
        self._clock = clock

    def _where(self, platform: str, key: str) -> Any:
        return and_(commands.c.platform == platform, commands.c.delivery_key == key)

    async def add(
        self,
        platform: str,
        key: str,
        raw: Mapping[str, Any] | None,
        message: Message | None,
        owner: str | None = None,
    ) -> bool:
        """Store a delivered command for `owner` to run; False if this delivery was stored
        before (a repeat, on whichever replica)."""
        now = self._clock()
        statement = insert(commands).values(
            platform=platform,
            delivery_key=key,
            raw=dict(raw) if raw is not None else None,
            message=message.to_json() if message is not None else None,
            status=CommandStatus.ACCEPTED.value,
            progress=None,
            attempts=0,
            owner=owner,
            lease_until=None,
            detail=None,
            accepted_at=now,
            updated_at=now,
        )
        try:
            await write(self._engine, statement)
        except IntegrityError:
            return False
        return True

    async def start(self, platform: str, key: str, message: Message, owner: str) -> None:
        """The command was read and starts running in `owner` (one more attempt)."""
        now = self._clock()
        statement = (
            update(commands)
            .where(self._where(platform, key))
            .values(
                message=message.to_json(),
                status=CommandStatus.RUNNING.value,
                attempts=commands.c.attempts + 1,
                owner=owner,
                lease_until=now + LEASE,
                updated_at=now,
            )
        )
        await write(self._engine, statement)

    async def claim(self, platform: str, key: str, owner: str, previous: str | None) -> bool:
        """Take an unfinished command over from `previous` for `owner`; False if it finished
        or someone else took it meanwhile (two replicas never both take one over)."""
        now = self._clock()
        held_by = commands.c.owner.is_(None) if previous is None else commands.c.owner == previous
        statement = (
            update(commands)
            .where(self._where(platform, key), commands.c.status.in_(_UNFINISHED), held_by)
            .values(owner=owner, lease_until=now + LEASE, updated_at=now)
        )
        return await write(self._engine, statement) == 1

    async def progress(self, platform: str, key: str, sent: SentMessage) -> None:
        """Where the command's progress message is, so a later run can bring it to an end."""
        statement = (
            update(commands)
            .where(self._where(platform, key))
            .values(progress=sent.to_json(), updated_at=self._clock())
        )
        await write(self._engine, statement)

    async def finish(
        self,
        platform: str,
        key: str,
        status: CommandStatus,
        *,
        audit: AuditEntry | None = None,
        detail: str | None = None,
    ) -> None:
        """Mark the command finished, with its audit row in the same transaction: a crash
        leaves both or neither, so a resumed command is never audited twice."""
        statement = (
            update(commands)
            .where(self._where(platform, key))
            .values(status=status.value, detail=detail, lease_until=None, updated_at=self._clock())
        )

        def work(connection: Connection) -> None:
            if audit is not None:
                connection.execute(audit_insert(audit))
            connection.execute(statement)

        await transact(self._engine, work)

    async def record(self, platform: str, key: str) -> CommandRecord | None:
        found = await fetch(self._engine, select(commands).where(self._where(platform, key)))
        return _record(found[0]) if found else None

    async def unfinished(self) -> list[CommandRecord]:
        """Commands accepted or running, oldest first."""
        query = (
            select(commands)
            .where(commands.c.status.in_(_UNFINISHED))
            .order_by(commands.c.accepted_at)
        )
        return [_record(row) for row in await fetch(self._engine, query)]

    async def forget(self, keep: timedelta = KEEP) -> int:
        """Delete finished commands older than `keep`; the number deleted."""
        statement = delete(commands).where(
            commands.c.status.in_(_FINISHED),
            commands.c.updated_at < self._clock() - keep,
        )
        return await write(self._engine, statement)


def _record(row: Row[Any]) -> CommandRecord:
    return CommandRecord(
        platform=row.platform,
        key=row.delivery_key,
        raw=row.raw,
        message=Message.from_json(row.message) if row.message else None,
        status=CommandStatus(row.status),
        owner=row.owner,
        progress=SentMessage.from_json(row.progress) if row.progress else None,
        attempts=row.attempts,
        accepted_at=row.accepted_at,
    )
