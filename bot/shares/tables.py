"""The share tables as the code uses them now (schema versions 2, 5 and 18 built them)."""

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

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

# One row per camera whose near-live stream some replica fetches: the holder renews `until`
# while it fetches, and any replica takes the row over once `until` has passed. Replicas
# whose viewers watch the camera move `watched_at`, so the holder stops only when no one
# anywhere watches. The rest is the stream's state as the holder last saw it.
stream_leases = Table(
    "stream_leases",
    metadata,
    Column("serial", String(64), primary_key=True),
    Column("holder", String(160), nullable=False),
    Column("until", UTCDateTime, nullable=False),
    Column("watched_at", UTCDateTime, nullable=False),
    Column("codec", String(64)),
    Column("problem", Text),
    Column("due_at", UTCDateTime),  # when the segment being fetched became fetchable
    Column("delayed", Boolean, nullable=False),
    Column("discontinuities", Integer, nullable=False),
)

# The segments the holder has written to the shared data directory, newest last: what every
# replica lists in its playlists.
stream_segments = Table(
    "stream_segments",
    metadata,
    Column("serial", String(64), primary_key=True),
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("start", UTCDateTime, nullable=False),
    Column("duration", Float, nullable=False),
    Column("discontinuity", Boolean, nullable=False),
)
