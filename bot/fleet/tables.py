"""The replicas table as the code uses it now (schema version 16 built it)."""

from sqlalchemy import Column, MetaData, String, Table

from bot.store.column_types import UTCDateTime

metadata = MetaData()

# One row per replica that ever ran on this database, refreshed every third of the lease:
# for people to look at (/healthz). Who leads and who is alive is decided by advisory
# locks (bot/fleet/locks.py), never by these rows.
replicas = Table(
    "replicas",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("role", String(16), nullable=False),  # leader or follower
    Column("started_at", UTCDateTime, nullable=False),
    Column("seen_at", UTCDateTime, nullable=False),
    Column("url", String(255)),  # its web server, once it listens
)
