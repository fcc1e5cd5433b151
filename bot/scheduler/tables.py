"""The scheduler's table as the code uses it now (schema version 6 built it)."""

from sqlalchemy import Column, Index, MetaData, String, Table

from bot.store.column_types import UTCDateTime

metadata = MetaData()

# One row per waiting job, in plain columns: nothing in it is code or pickled state.
scheduler_jobs = Table(
    "scheduler_jobs",
    metadata,
    Column("id", String(191), primary_key=True),
    Column("kind", String(64), nullable=False),
    Column("run_at", UTCDateTime),  # None only for a paused job
    Column("callable", String(255), nullable=False),  # "module:function", checked on load
    Index("ix_scheduler_jobs_run_at", "run_at"),
)
