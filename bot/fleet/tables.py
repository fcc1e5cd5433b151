"""The fleet's tables as the code uses them now (schema versions 16 and 20 built them)."""

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

# When each chat channel's next post may start (the database's clock), for every replica:
# a platform's per-channel pace (Slack: about one message a second) holds for the fleet.
channel_turns = Table(
    "channel_turns",
    metadata,
    Column("platform", String(16), primary_key=True),
    Column("channel", String(255), primary_key=True),
    Column("next_at", UTCDateTime, nullable=False),
)
