"""Each chat channel's pace, kept in PostgreSQL so that it holds for a fleet of replicas.

Slack takes about one message a second in a channel; three replicas pacing themselves alone
would post three a second there. A post reserves the channel's next slot with one statement
(an upsert that moves `next_at` on by the interval) and waits until its slot starts: slots
are handed out in the order they are asked for, and all times are the database's clock.
A replica that dies after reserving only leaves one slot unused.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from sqlalchemy import Engine, func
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import SQLAlchemyError

from bot.fleet.tables import channel_turns
from bot.store.work import DATABASE_CLOCK

log = logging.getLogger(__name__)


class ChannelTurns:
    """Slots in the chat channels of one platform, shared by every replica on the database."""

    def __init__(self, engine: Engine, platform: str) -> None:
        self._engine = engine
        self.platform = platform

    async def reserve(self, channel: str, interval: float) -> float:
        """Take the channel's next slot; the seconds until it starts (0 when it is free).

        A database that does not answer does not stop the post: it goes at once (the
        replica's own pace still holds) and the failure is logged.
        """
        try:
            return await asyncio.to_thread(self._reserve, channel, interval)
        except SQLAlchemyError as exc:
            log.warning(
                "channel pace: the database did not answer (%s); posting on this replica's "
                "pace alone",
                type(exc).__name__,
            )
            return 0.0

    def _reserve(self, channel: str, interval: float) -> float:
        step = timedelta(seconds=interval)
        table = channel_turns
        reserve = (
            insert(table)
            .values(platform=self.platform, channel=channel, next_at=DATABASE_CLOCK + step)
            .on_conflict_do_update(
                index_elements=[table.c.platform, table.c.channel],
                set_={"next_at": func.greatest(table.c.next_at, DATABASE_CLOCK) + step},
            )
            .returning(table.c.next_at, DATABASE_CLOCK)
        )
        with self._engine.begin() as connection:
            next_at, now = connection.execute(reserve).one()
        starts_in: float = (next_at - step - now).total_seconds()
        return max(0.0, starts_in)
