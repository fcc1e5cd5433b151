"""Ordered schema migrations, applied at start inside one transaction."""

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Final

from sqlalchemy import (
    JSON,
    Column,
    Connection,
    Engine,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    func,
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


MIGRATIONS: Final[tuple[tuple[int, Callable[[Connection], None]], ...]] = ((1, _version_1),)
LATEST_VERSION: Final = MIGRATIONS[-1][0]


def migrate(engine: Engine) -> int:
    """Bring the schema to LATEST_VERSION (blocking); returns the version it started from."""
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # Two processes starting together must not both apply the same migration.
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
        schema_version.create(connection, checkfirst=True)
        found = connection.execute(select(func.max(schema_version.c.version))).scalar_one()
        start = int(found or 0)
        if start > LATEST_VERSION:
            raise RuntimeError(
                f"the database schema is version {start}, newer than this mvbot knows "
                f"({LATEST_VERSION}); upgrade mvbot"
            )
        for version, step in MIGRATIONS:
            if version > start:
                step(connection)
                connection.execute(
                    insert(schema_version).values(version=version, applied_at=datetime.now(UTC))
                )
    return start
