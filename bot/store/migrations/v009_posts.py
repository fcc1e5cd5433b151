"""Schema version 9: automatic posts by idempotency key, so a restart never posts one twice."""

from sqlalchemy import JSON, Column, Connection, MetaData, String, Table

from bot.store.column_types import UTCDateTime


def upgrade(connection: Connection) -> None:
    """Create `posts` as version 9 created it (frozen; bot/store/schema.py is live)."""
    frozen = MetaData()
    Table(
        "posts",
        frozen,
        Column("key", String(191), primary_key=True),
        Column("place", JSON, nullable=False),
        Column("intended_at", UTCDateTime, nullable=False),
        Column("message_id", String(255)),
        Column("extra", JSON),
        Column("posted_at", UTCDateTime),
    )
    frozen.create_all(connection)
