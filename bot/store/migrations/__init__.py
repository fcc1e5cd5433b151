"""Numbered schema migrations, applied in order at start inside one transaction.

Each `vNNN_<what>.py` has one `upgrade(connection)` and owns the table shapes its version
created, frozen: the live definitions (bot/store/schema.py and the feature packages' tables)
move on, a migration never does. A migration imports sqlalchemy and bot.store.column_types
only, never a feature package. Add one by writing the next file and listing it below.
"""

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Final

from sqlalchemy import Connection, Engine, insert, select, text

from bot.store.migrations import (
    v001_audit_and_jobs,
    v002_shares,
    v003_events,
    v004_occupancy_alerts,
    v005_pin_attempts,
    v006_scheduler_jobs,
    v007_plate_reads_by_sighting,
    v008_commands,
    v009_posts,
    v010_occupancy_unposted,
    v011_exports,
    v012_incidents,
    v013_delivered_files,
    v014_active_hours,
    v015_health_and_sensors,
    v016_replicas,
    v017_rate_budget,
    v018_replica_links,
    v019_health_reports,
    v020_channel_turns,
    v021_alert_owners,
    v022_posts_by_time,
    v023_plate_interests,
    v024_plate_reads_waiting,
)
from bot.store.schema import schema_version

# Any constant works; it only has to be the same for every mvbot process on the database.
_MIGRATION_LOCK: Final = 0x6D76626F74

MIGRATIONS: Final[tuple[tuple[int, Callable[[Connection], None]], ...]] = (
    (1, v001_audit_and_jobs.upgrade),
    (2, v002_shares.upgrade),
    (3, v003_events.upgrade),
    (4, v004_occupancy_alerts.upgrade),
    (5, v005_pin_attempts.upgrade),
    (6, v006_scheduler_jobs.upgrade),
    (7, v007_plate_reads_by_sighting.upgrade),
    (8, v008_commands.upgrade),
    (9, v009_posts.upgrade),
    (10, v010_occupancy_unposted.upgrade),
    (11, v011_exports.upgrade),
    (12, v012_incidents.upgrade),
    (13, v013_delivered_files.upgrade),
    (14, v014_active_hours.upgrade),
    (15, v015_health_and_sensors.upgrade),
    (16, v016_replicas.upgrade),
    (17, v017_rate_budget.upgrade),
    (18, v018_replica_links.upgrade),
    (19, v019_health_reports.upgrade),
    (20, v020_channel_turns.upgrade),
    (21, v021_alert_owners.upgrade),
    (22, v022_posts_by_time.upgrade),
    (23, v023_plate_interests.upgrade),
    (24, v024_plate_reads_waiting.upgrade),
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
        for version, upgrade in MIGRATIONS:
            if version not in applied:
                upgrade(connection)
                connection.execute(
                    insert(schema_version).values(version=version, applied_at=datetime.now(UTC))
                )
    return start
