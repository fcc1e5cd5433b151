"""The shared rate budget's tables as the code uses them now (schema version 17 built them)."""

from sqlalchemy import Column, Index, Integer, MetaData, String, Table

from bot.store.column_types import RowId, UTCDateTime

metadata = MetaData()

# One row per organisation: the row every grant locks (FOR UPDATE), and the 429 pause that
# stops every replica.
budget_orgs = Table(
    "budget_orgs",
    metadata,
    Column("org", String(64), primary_key=True),
    Column("paused_until", UTCDateTime),  # the database's clock
)

# The log of recent request starts. `stamp` lies in the future (grant time + hold, pushed on
# while the replica lives) until the request is on the wire, so a granted start counts as
# "now" until then; a replica that died before sending frees it after the hold.
budget_starts = Table(
    "budget_starts",
    metadata,
    Column("id", RowId, primary_key=True, autoincrement=True),
    Column("org", String(64), nullable=False),
    Column("replica", String(64), nullable=False),
    Column("stamp", UTCDateTime, nullable=False),
    Index("ix_budget_starts_org_stamp", "org", "stamp"),
)

# Each waiting replica's best priority; `seen_at` goes stale when the replica stops asking
# (it died), and a stale entry no longer holds anyone back.
budget_waiters = Table(
    "budget_waiters",
    metadata,
    Column("org", String(64), primary_key=True),
    Column("replica", String(64), primary_key=True),
    Column("priority", Integer, nullable=False),
    Column("seen_at", UTCDateTime, nullable=False),
)
