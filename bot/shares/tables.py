"""The share tables as the code uses them now (schema versions 2 and 5 built them)."""

from sqlalchemy import JSON, Column, Index, Integer, MetaData, String, Table, Text

from bot.store.column_types import RowId, UTCDateTime

metadata = MetaData()

share_links = Table(
    "share_links",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("email", String(320), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("pin_hash", String(255)),
    Column("created_at", UTCDateTime, nullable=False),
    Column("created_by", String(255), nullable=False),
    Column("disabled_at", UTCDateTime),
    Index("ix_share_links_email", "email"),
)

shares = Table(
    "shares",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("email", String(320), nullable=False),
    Column("serial", String(64), nullable=False),
    Column("camera_name", String(255), nullable=False),
    Column("model", String(64), nullable=False),
    Column("network_name", String(255), nullable=False),
    Column("org_name", String(255), nullable=False),
    Column("address", Text, nullable=False),
    Column("recipient_name", String(255)),
    Column("reason", Text),
    Column("created_at", UTCDateTime, nullable=False),
    Column("created_by", String(255), nullable=False),
    Column("place", JSON(none_as_null=True)),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("reminded_for", UTCDateTime),
    Column("ended_at", UTCDateTime),
    Column("end_reason", String(16)),
    Index("ix_shares_email", "email"),
    Index("ix_shares_serial", "serial"),
)

share_access = Table(
    "share_access",
    metadata,
    Column("id", RowId, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime, nullable=False),
    Column("event", String(16), nullable=False),
    Column("email", String(320), nullable=False),
    Column("serial", String(64)),
    Column("camera", String(255)),
    Column("client_address", String(64)),
    Column("user_agent", Text),
    Column("actor", String(255)),
    Column("detail", Text),
    Index("ix_share_access_at", "at"),
    Index("ix_share_access_email", "email"),
)

# PIN attempts counted per link and client address ("*": the link as a whole, for addresses
# that never entered its right PIN), so a lock-out outlives a restart and binds every replica.
share_pin_attempts = Table(
    "share_pin_attempts",
    metadata,
    Column("link_id", String(32), primary_key=True),
    Column("address", String(64), primary_key=True),
    Column("failures", Integer, nullable=False),  # counted, and not (yet) found right
    Column("first_at", UTCDateTime),  # when the current count started
    Column("locked_until", UTCDateTime),
    Column("right_at", UTCDateTime),  # the last right PIN from this address
)
