"""Ordered schema migrations, applied at start inside one transaction."""

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Final

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Connection,
    Engine,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    insert,
    select,
    text,
)

from bot.store.schema import RowId, UTCDateTime, schema_version

# Any constant works; it only has to be the same for every mvbot process on the database.
_MIGRATION_LOCK: Final = 0x6D76626F74


def _version_1(connection: Connection) -> None:
    # The tables as version 1 created them, frozen here: a later migration alters them with
    # its own statements, while schema.py describes only the latest shape.
    frozen = MetaData()
    Table(
        "audit",
        frozen,
        Column("id", RowId, primary_key=True, autoincrement=True),
        Column("at", UTCDateTime, nullable=False),
        Column("platform", String(32), nullable=False),
        Column("person_id", String(255), nullable=False),
        Column("person_email", String(320)),
        Column("place_id", String(255)),
        Column("command", Text, nullable=False),
        Column("action", String(64), nullable=False),
        Column("outcome", String(16), nullable=False),
        Column("detail", Text),
        Index("ix_audit_at", "at"),
    )
    Table(
        "jobs",
        frozen,
        Column("id", String(64), primary_key=True),
        Column("kind", String(64), nullable=False),
        Column("payload", JSON, nullable=False),
        Column("place", JSON(none_as_null=True)),
        Column("status", String(16), nullable=False),
        Column("due_at", UTCDateTime, nullable=False),
        Column("attempts", Integer, nullable=False),
        Column("last_error", Text),
        Column("created_at", UTCDateTime, nullable=False),
        Column("updated_at", UTCDateTime, nullable=False),
        Index("ix_jobs_status_due_at", "status", "due_at"),
    )
    frozen.create_all(connection)


def _version_2(connection: Connection) -> None:
    # External stream shares (bot/shares): links by token hash, one row per camera shared
    # to an e-mail, and the access log. Frozen as version 2 created them.
    frozen = MetaData()
    Table(
        "share_links",
        frozen,
        Column("id", String(32), primary_key=True),
        Column("email", String(320), nullable=False),
        Column("token_hash", String(64), nullable=False, unique=True),
        Column("pin_hash", String(255)),
        Column("created_at", UTCDateTime, nullable=False),
        Column("created_by", String(255), nullable=False),
        Column("disabled_at", UTCDateTime),
        Index("ix_share_links_email", "email"),
    )
    Table(
        "shares",
        frozen,
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
    Table(
        "share_access",
        frozen,
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
    frozen.create_all(connection)


def _version_3(connection: Connection) -> None:
    # Imported here: bot.events.tables imports the store's schema, so a module-level import
    # would be circular whichever of the two is imported first.
    from bot.events.tables import migrate_version_3

    migrate_version_3(connection)


def _version_4(connection: Connection) -> None:
    # Occupancy threshold alerts (bot/occupancy/thresholds.py), frozen as version 4 created them.
    frozen = MetaData()
    Table(
        "occupancy_alerts",
        frozen,
        Column("id", RowId, primary_key=True, autoincrement=True),
        Column("serial", String(64), nullable=False),
        Column("camera", String(255), nullable=False),
        Column("zone_id", String(64), nullable=False),
        Column("zone_name", String(255), nullable=False),
        Column("threshold", Integer, nullable=False),
        Column("place", JSON, nullable=False),
        Column("created_by", String(255), nullable=False),
        Column("created_at", UTCDateTime, nullable=False),
        Column("armed", Boolean, nullable=False),
        Column("last_fired_at", UTCDateTime),
        Index("ix_occupancy_alerts_serial", "serial"),
    )
    frozen.create_all(connection)


def _version_5(connection: Connection) -> None:
    # Plate reads by sighting: a sighting's reads are read back when its window is not in
    # memory (bot/events/sightings.py). Frozen: a stub of the table, the index alone.
    frozen = MetaData()
    reads = Table("plate_reads", frozen, Column("sighting_id", Integer))
    Index("ix_plate_reads_sighting", reads.c.sighting_id).create(connection)


MIGRATIONS: Final[tuple[tuple[int, Callable[[Connection], None]], ...]] = (
    (1, _version_1),
    (2, _version_2),
    (3, _version_3),  # plates, events and alerts (bot/events/tables.py)
    (4, _version_4),  # occupancy threshold alerts
    (5, _version_5),  # plate reads indexed by sighting
)
LATEST_VERSION: Final = MIGRATIONS[-1][0]


def migrate(engine: Engine) -> int:
    """Bring the schema to LATEST_VERSION (blocking); returns the version it started from."""
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # Two processes starting together must not both apply the same migration.
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
        schema_version.create(connection, checkfirst=True)
        # Versions are numbered by feature and may land out of order (a gap is filled by a
        # later release), so every missing one is applied, not only those above the highest.
        applied = set(connection.execute(select(schema_version.c.version)).scalars())
        start = max(applied, default=0)
        if start > LATEST_VERSION:
            raise RuntimeError(
                f"the database schema is version {start}, newer than this mvbot knows "
                f"({LATEST_VERSION}); upgrade mvbot"
            )
        for version, step in MIGRATIONS:
            if version not in applied:
                step(connection)
                connection.execute(
                    insert(schema_version).values(version=version, applied_at=datetime.now(UTC))
                )
    return start
