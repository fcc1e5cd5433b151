"""Automatic posts by idempotency key: "about to post K" before the post, "posted K as M" after.

A row with no message id is an intent whose outcome a crash may have hidden: the post may
or may not have reached the platform. bot.outbox asks the platform before posting it again.
A key matters while the work that posts it may run again (a command or an alert gives up
after 30 minutes, a job runs once), so rows older than `KEEP` are forgotten.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from bot.messages import Place, SentMessage
from bot.store.schema import posts
from bot.store.work import fetch, write

KEEP = timedelta(days=30)


@dataclass(frozen=True)
class PostRecord:
    """One key: when the post was first intended, and what it became once known."""

    key: str
    place: Place
    intended_at: datetime
    sent: SentMessage | None  # None: the outcome of the last attempt is not known
    new: bool = False  # this call stored the intent: nobody tried to post it before


class PostLedger:
    """The `posts` table; blocking work runs in worker threads."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    async def intend(self, key: str, place: Place) -> PostRecord:
        """Store the intent to post `key` (durable once this returns), or the record of an
        earlier one with the same key."""
        now = datetime.now(UTC)
        values = {"key": key, "place": place.to_json(), "intended_at": now}
        try:
            await write(self._engine, insert(posts).values(**values))
        except IntegrityError:
            found = await self.record(key)
            if found is not None:
                return found
            raise
        return PostRecord(key, place, now, None, new=True)

    async def record(self, key: str) -> PostRecord | None:
        rows = await fetch(self._engine, select(posts).where(posts.c.key == key))
        return _record(rows[0]) if rows else None

    async def posted(self, key: str, sent: SentMessage) -> None:
        """Record that `key` is posted as `sent`."""
        statement = (
            update(posts)
            .where(posts.c.key == key)
            .values(
                place=sent.place.to_json(),
                message_id=sent.id,
                extra=dict(sent.extra),
                posted_at=datetime.now(UTC),
            )
        )
        await write(self._engine, statement)

    async def forget(self, now: datetime | None = None) -> int:
        """Delete the keys intended more than `KEEP` ago; how many (indexed, version 22)."""
        before = (now or datetime.now(UTC)) - KEEP
        return await write(self._engine, delete(posts).where(posts.c.intended_at < before))


def _record(row: Any) -> PostRecord:
    place = Place.from_json(row.place)
    sent = None
    if row.message_id is not None:
        extra = {str(k): str(v) for k, v in (row.extra or {}).items()}
        sent = SentMessage(place, row.message_id, extra)
    return PostRecord(row.key, place, row.intended_at, sent)
