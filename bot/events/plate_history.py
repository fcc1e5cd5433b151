"""The plate history: stored sightings by plate pattern, camera and time, newest first.

Queries use the indexes of schema version 14: a pattern's fixed head ("A8C" of "ABC*")
becomes a range on `canonical` (index `ix_plate_sightings_canonical`), a camera and a time
a range on (`serial`, `first_at`). The pattern itself is checked again in Python, so the
SQL only has to narrow, never to be exact.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, select

from bot.events.lpr import WILDCARDS, PlatePattern, Tolerance
from bot.events.tables import plate_sightings
from bot.events.watchlist import SightingRow
from bot.store.work import fetch

SCAN = 2000  # rows read at most per page asked for: a pattern with no fixed head scans


@dataclass(frozen=True)
class HistoryQuery:
    pattern: PlatePattern | None = None
    serials: Collection[str] | None = None  # None: every camera
    since: datetime | None = None
    before: datetime | None = None  # exclusive: the next page starts below the last row


class PlateHistory:
    """Sightings as `plates search` and `plates recent` list them."""

    def __init__(self, engine: Engine, tolerance: Tolerance) -> None:
        self._engine = engine
        self._tolerance = tolerance

    async def find(self, query: HistoryQuery, limit: int) -> list[SightingRow]:
        """Up to `limit` sightings matching `query`, newest first."""
        table = plate_sightings.c
        statement = select(plate_sightings).order_by(table.first_at.desc(), table.id.desc())
        if query.serials is not None:
            statement = statement.where(table.serial.in_(sorted(query.serials)))
        if query.since is not None:
            statement = statement.where(table.first_at >= query.since)
        if query.before is not None:
            statement = statement.where(table.first_at < query.before)
        pattern = query.pattern
        if pattern is not None:
            head = fixed_head(pattern)
            if not pattern.wildcard:
                statement = statement.where(table.canonical == pattern.canonical)
            elif head:
                statement = statement.where(table.canonical >= head, table.canonical < _after(head))
        rows = await fetch(self._engine, statement.limit(SCAN if pattern else limit))
        found = [
            SightingRow(
                r.id, r.serial, r.camera, r.plate, r.confidence, r.first_at, r.last_at, r.reads
            )
            for r in rows
            if pattern is None or pattern.matches(r.plate, self._tolerance)
        ]
        return found[:limit]


def fixed_head(pattern: PlatePattern) -> str:
    """The canonical characters before the first wildcard."""
    head = []
    for ch in pattern.canonical:
        if ch in WILDCARDS:
            break
        head.append(ch)
    return "".join(head)


def _after(head: str) -> str:
    """The least string above every string that starts with `head` (ASCII letters/digits)."""
    return head[:-1] + chr(ord(head[-1]) + 1)
