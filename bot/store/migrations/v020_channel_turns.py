"""Schema version 20: the replicas of a fleet share each chat channel's pace."""

from sqlalchemy import Column, Connection, MetaData, String, Table

from bot.store.column_types import UTCDateTime


def upgrade(connection: Connection) -> None:
    """Create `channel_turns` as version 20 created it (frozen; the live one may move on)."""
    frozen = MetaData()
    Table(
        "channel_turns",
        frozen,
        Column("platform", String(16), primary_key=True),
        Column("channel", String(255), primary_key=True),
        Column("next_at", UTCDateTime, nullable=False),
    )
    frozen.create_all(connection)
