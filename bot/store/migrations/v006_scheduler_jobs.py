"""Schema version 6: the scheduler's waiting jobs in plain columns, replacing APScheduler's
pickled `apscheduler_jobs`."""

from sqlalchemy import Column, Connection, Index, MetaData, String, Table, text

from bot.store.column_types import UTCDateTime


def upgrade(connection: Connection) -> None:
    """Create `scheduler_jobs` as version 6 created it (frozen; bot/scheduler/tables.py is
    live) and drop `apscheduler_jobs`, whose rows are pickles. Dropping loses nothing: every
    job there was armed from a row of `jobs` or `shares`, and mvbot re-arms all of those at
    start (PendingClips.resume, ShareService.resume)."""
    frozen = MetaData()
    Table(
        "scheduler_jobs",
        frozen,
        Column("id", String(191), primary_key=True),
        Column("kind", String(64), nullable=False),
        Column("run_at", UTCDateTime),
        Column("callable", String(255), nullable=False),
        Index("ix_scheduler_jobs_run_at", "run_at"),
    )
    frozen.create_all(connection)
    connection.execute(text("DROP TABLE IF EXISTS apscheduler_jobs"))
