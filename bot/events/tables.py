"""The tables of plates, events and alerts as the code uses them now (version 3 built them;
version 14 added active hours, allow-lists and the plate-history indexes; version 23 the
counter of changes to what rooms hear of plates; version 24 made the read indexes partial)."""

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from bot.store.column_types import RowId, UTCDateTime

metadata = MetaData()
_WAITING = text("processed = FALSE")  # a read not processed yet
_LINKED = text("sighting_id IS NOT NULL")  # a read merged into a sighting

plate_watches = Table(
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
    Column("hours", String(64)),  # bot.grammar.hours text; None: always (version 14)
    UniqueConstraint("platform", "room_id", "pattern", name="uq_plate_watches_room_pattern"),
)

plate_follows = Table(
    "plate_follows",
    metadata,
    Column("id", RowId, primary_key=True, autoincrement=True),
    Column("platform", String(32), nullable=False),
    Column("room_id", String(255), nullable=False),
    Column("serial", String(64), nullable=False),
    Column("camera", String(255), nullable=False),
    Column("created_by", String(255), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("hours", String(64)),  # version 14
    UniqueConstraint("platform", "room_id", "serial", name="uq_plate_follows_room_serial"),
)

# Plates a room knows: with `plate_unknown_alerts`, the room hears of every other plate.
plate_allows = Table(
    "plate_allows",
    metadata,
    Column("id", RowId, primary_key=True, autoincrement=True),
    Column("platform", String(32), nullable=False),
    Column("room_id", String(255), nullable=False),
    Column("pattern", String(32), nullable=False),
    Column("note", Text),
    Column("hours", String(64)),  # when the plate is allowed; None: always
    Column("created_by", String(255), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("platform", "room_id", "pattern", name="uq_plate_allows_room_pattern"),
)

# Cameras at which a room hears of every plate not on its allow-list.
plate_unknown_alerts = Table(
    "plate_unknown_alerts",
    metadata,
    Column("id", RowId, primary_key=True, autoincrement=True),
    Column("platform", String(32), nullable=False),
    Column("room_id", String(255), nullable=False),
    Column("serial", String(64), nullable=False),
    Column("camera", String(255), nullable=False),
    Column("hours", String(64)),
    Column("created_by", String(255), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("platform", "room_id", "serial", name="uq_plate_unknown_room_serial"),
)

plate_mutes = Table(
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

# Moved on by triggers (schema version 23) with every change to plate_watches, plate_follows,
# plate_unknown_alerts and plate_allows: processing reads those again only when it moved.
plate_interests = Table(
    "plate_interests",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),  # one row: 1
    Column("version", Integer, nullable=False),
)

plate_sightings = Table(
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
    Index("ix_plate_sightings_serial_first", "serial", "first_at"),  # version 14: history
    Index("ix_plate_sightings_canonical", "canonical", "first_at"),  # version 14: search
)

plate_reads = Table(
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
    # Partial (schema version 24): storing a read adds one entry, processing moves it over.
    Index(
        "ix_plate_reads_processed",
        "id",
        sqlite_where=_WAITING,
        postgresql_where=_WAITING,
    ),
    Index(
        "ix_plate_reads_sighting",
        "sighting_id",
        sqlite_where=_LINKED,
        postgresql_where=_LINKED,
    ),
)

plate_cooldowns = Table(
    "plate_cooldowns",
    metadata,
    Column("id", RowId, primary_key=True, autoincrement=True),
    Column("platform", String(32), nullable=False),
    Column("room_id", String(255), nullable=False),
    Column("key", String(96), nullable=False),  # "watch:<id>" or "follow:<serial>:<plate>"
    Column("last_at", UTCDateTime, nullable=False),
    UniqueConstraint("platform", "room_id", "key", name="uq_plate_cooldowns_room_key"),
)

hook_events = Table(
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
    # Camera status alerts wait as "health" for the leader's camera health (version 19).
    Index("ix_hook_events_status", "status"),
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
    Column("owner", String(64)),  # the replica delivering it; None until one claims it
    UniqueConstraint("sighting_id", "platform", "room_id", name="uq_alerts_sighting_room"),
    UniqueConstraint("event_id", "platform", "room_id", name="uq_alerts_event_room"),
    Index("ix_alerts_status", "status"),
)
