"""The tables of camera health as the code uses them now (version 15 built them)."""

from sqlalchemy import (
    Boolean,
    Column,
    Index,
    MetaData,
    String,
    Table,
    UniqueConstraint,
)

from bot.store.column_types import RowId, UTCDateTime

metadata = MetaData()

# What mvbot last told (status, since) and what it sees now (seen, seen_since): a change is
# told once `seen` has held for the debounce.
camera_health = Table(
    "camera_health",
    metadata,
    Column("serial", String(64), primary_key=True),
    Column("status", String(16), nullable=False),  # "online" or "offline"
    Column("since", UTCDateTime, nullable=False),
    Column("seen", String(16), nullable=False),
    Column("seen_since", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

health_follows = Table(
    "health_follows",
    metadata,
    Column("id", RowId, primary_key=True, autoincrement=True),
    Column("platform", String(32), nullable=False),
    Column("room_id", String(255), nullable=False),
    Column("network", String(255)),  # a network id or name; None: every network
    Column("created_by", String(255), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("platform", "room_id", name="uq_health_follows_room"),
)

# One row per room to tell of one change, stored with the change: the intent before the post.
health_notices = Table(
    "health_notices",
    metadata,
    Column("id", RowId, primary_key=True, autoincrement=True),
    Column("serial", String(64), nullable=False),
    Column("camera", String(255), nullable=False),
    Column("status", String(16), nullable=False),
    Column("at", UTCDateTime, nullable=False),  # when the camera changed
    Column("platform", String(32), nullable=False),
    Column("room_id", String(255), nullable=False),
    Column("posted", Boolean, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Index("ix_health_notices_posted", "posted"),
)
