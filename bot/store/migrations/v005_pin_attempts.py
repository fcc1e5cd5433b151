"""Schema version 5: PIN attempts per share link and client address, kept in the store."""

from sqlalchemy import Column, Connection, Integer, MetaData, String, Table

from bot.store.column_types import UTCDateTime


def upgrade(connection: Connection) -> None:
    """Create `share_pin_attempts` as version 5 created it (frozen; bot/shares/tables.py is
    live). The in-memory counters it replaces had nothing to carry over."""
    frozen = MetaData()
    Table(
        "share_pin_attempts",
        frozen,
        Column("link_id", String(32), primary_key=True),
        Column("address", String(64), primary_key=True),
        Column("failures", Integer, nullable=False),
        Column("first_at", UTCDateTime),
        Column("locked_until", UTCDateTime),
        Column("right_at", UTCDateTime),
    )
    frozen.create_all(connection)
