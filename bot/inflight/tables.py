"""The commands table as the code uses it now (schema version 8 built it)."""

from sqlalchemy import JSON, Column, Index, Integer, MetaData, String, Table, Text

from bot.store.column_types import UTCDateTime

metadata = MetaData()

# One row per command a platform delivered, from before its acknowledgement until a while
# after its answer: the primary key is what refuses a redelivery or a replay.
commands = Table(
    "commands",
    metadata,
    Column("platform", String(32), primary_key=True),
    Column("delivery_key", String(255), primary_key=True),
    Column("raw", JSON(none_as_null=True)),  # what the adapter needs to read it again
    Column("message", JSON(none_as_null=True)),  # the Message, once read
    Column("status", String(16), nullable=False),  # accepted, running, done, failed
    Column("progress", JSON(none_as_null=True)),  # the "Fetching…" SentMessage, once posted
    Column("attempts", Integer, nullable=False),  # runs started
    # Which replica runs it (bot.fleet): another takes it over only once that replica's
    # liveness lock is free. lease_until is informative only.
    Column("owner", String(64)),
    Column("lease_until", UTCDateTime),
    Column("detail", Text),  # why it failed
    Column("accepted_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Index("ix_commands_status_updated_at", "status", "updated_at"),
)
