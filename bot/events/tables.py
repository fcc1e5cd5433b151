"""The tables of plates, events and alerts, and the migration (version 3) that creates them.

Imported by bot.store.migrations, so it imports nothing from bot.store but its schema.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Connection,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from bot.store.schema import RowId, UTCDateTime


def _build(metadata: MetaData) -> tuple[Table, ...]:
    # Version 3's shape. The migration below builds these same tables: when a later
    # migration alters one, copy this function into the migration first (frozen), then
    # change it here.
    watches = Table(
        "plate_watches",
        metadata,
        Column("id", RowId, primary_key=True, autoincrement=True),
        Column("platform", String(32), nullable=False),
        Column("room_id", String(255), nullable=False),
        Column("pattern", String(32), nullable=False),  # normalised, wildcards kept
        Column("note", Text),
        Column("cooldown_s", Float),  # None: the configured cooldown
        Column("created_by", String(255), nullable=False),
        Column("created_at", UTCDateTime, nullable=False),
        UniqueConstraint("platform", "room_id", "pattern", name="uq_plate_watches_room_pattern"),
    )
    follows = Table(
        "plate_follows",
        metadata,
        Column("id", RowId, primary_key=True, autoincrement=True),
        Column("platform", String(32), nullable=False),
        Column("room_id", String(255), nullable=False),
        Column("serial", String(64), nullable=False),
        Column("camera", String(255), nullable=False),
        Column("created_by", String(255), nullable=False),
        Column("created_at", UTCDateTime, nullable=False),
        UniqueConstraint("platform", "room_id", "serial", name="uq_plate_follows_room_serial"),
    )
    mutes = Table(
        "plate_mutes",
        metadata,
        Column("id", RowId, primary_key=True, autoincrement=True),
        Column("platform", String(32), nullable=False),
        Column("room_id", String(255), nullable=False),
        Column("canonical", String(32), nullable=False),
        Column("plate", String(32), nullable=False),
        Column("until", UTCDateTime, nullable=False),
        Column("created_by", String(255), nullable=False),
        UniqueConstraint("platform", "room_id", "canonical", name="uq_plate_mutes_room_plate"),
    )
    sightings = Table(
        "plate_sightings",
        metadata,
        Column("id", RowId, primary_key=True, autoincrement=True),
        Column("serial", String(64), nullable=False),
        Column("camera", String(255), nullable=False),
        Column("plate", String(32), nullable=False),  # the most confident read's
        Column("canonical", String(32), nullable=False),  # of the plate it goes by
        Column("confidence", Float),
        Column("first_at", UTCDateTime, nullable=False),
        Column("last_at", UTCDateTime, nullable=False),
        Column("reads", Integer, nullable=False),
        Index("ix_plate_sightings_serial_last", "serial", "last_at"),
        Index("ix_plate_sightings_first", "first_at"),
    )
    reads = Table(
        "plate_reads",
        metadata,
        Column("id", RowId, primary_key=True, autoincrement=True),
        Column("key", String(64), nullable=False, unique=True),  # a redelivery is not a read
        Column("topic", String(255), nullable=False),
        Column("serial", String(64), nullable=False),
        Column("plate", String(32), nullable=False),
        Column("raw", String(255), nullable=False),
        Column("confidence", Float),
        Column("region", String(64)),
        Column("at", UTCDateTime, nullable=False),
        Column("received_at", UTCDateTime, nullable=False),
        Column("processed", Boolean, nullable=False),
        Column("sighting_id", Integer),
        Index("ix_plate_reads_processed", "processed", "id"),
    )
    cooldowns = Table(
        "plate_cooldowns",
        metadata,
        Column("id", RowId, primary_key=True, autoincrement=True),
        Column("platform", String(32), nullable=False),
        Column("room_id", String(255), nullable=False),
        Column("key", String(96), nullable=False),  # "watch:<id>" or "follow:<serial>:<plate>"
        Column("last_at", UTCDateTime, nullable=False),
        UniqueConstraint("platform", "room_id", "key", name="uq_plate_cooldowns_room_key"),
    )
    events = Table(
        "hook_events",
        metadata,
        Column("id", RowId, primary_key=True, autoincrement=True),
        Column("key", String(64), nullable=False, unique=True),
        Column("source", String(16), nullable=False),  # "meraki" or "generic"
        Column("type", String(64), nullable=False),
        Column("serial", String(64)),
        Column("camera", String(255)),
        Column("network_id", String(64)),
        Column("at", UTCDateTime),
        Column("received_at", UTCDateTime, nullable=False),
        Column("title", Text, nullable=False),
        Column("details", JSON, nullable=False),
        Column("status", String(16), nullable=False),
        Column("detail", Text),
    )
    alerts = Table(
        "alerts",
        metadata,
        Column("id", RowId, primary_key=True, autoincrement=True),
        Column("kind", String(16), nullable=False),  # "plate" or "event"
        Column("platform", String(32), nullable=False),
        Column("room_id", String(255), nullable=False),
        Column("sighting_id", Integer),
        Column("event_id", Integer),
        Column("serial", String(64), nullable=False),
        Column("camera", String(255), nullable=False),
        Column("at", UTCDateTime, nullable=False),
        Column("pre_roll_s", Float, nullable=False),
        Column("post_roll_s", Float, nullable=False),
        Column("content", JSON, nullable=False),  # what the heads-up says
        Column("status", String(16), nullable=False),
        Column("reason", Text),
        Column("heads_up_id", String(255)),
        Column("clip_job_id", String(64)),
        Column("attempts", Integer, nullable=False),
        Column("created_at", UTCDateTime, nullable=False),
        Column("updated_at", UTCDateTime, nullable=False),
        UniqueConstraint("sighting_id", "platform", "room_id", name="uq_alerts_sighting_room"),
        UniqueConstraint("event_id", "platform", "room_id", name="uq_alerts_event_room"),
        Index("ix_alerts_status", "status"),
    )
    return watches, follows, mutes, sightings, reads, cooldowns, events, alerts


metadata = MetaData()
(
    plate_watches,
    plate_follows,
    plate_mutes,
    plate_sightings,
    plate_reads,
    plate_cooldowns,
    hook_events,
    alerts,
) = _build(metadata)


# Added by schema version 5 (bot.store.migrations), after version 3 built the table.
Index("ix_plate_reads_sighting", plate_reads.c.sighting_id)


def migrate_version_3(connection: Connection) -> None:
    """Create the plate, event and alert tables (schema version 3)."""
    frozen = MetaData()
    _build(frozen)
    frozen.create_all(connection)
