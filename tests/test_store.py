"""The store keeps audit rows and pending jobs, on SQLite and PostgreSQL, across restarts."""

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import inspect

from bot.config import StoreSettings
from bot.store import (
    LATEST_VERSION,
    AuditEntry,
    JobNotFoundError,
    JobStatus,
    Outcome,
    Store,
    configured_database_url,
    create_database_engine,
    default_database_url,
)
from bot.store.schema import metadata
from tests.db_fixtures import database_url_fixture  # noqa: F401

T0 = datetime(2025, 3, 3, 14, 30, tzinfo=UTC)


def entry(minutes: int, **changes: object) -> AuditEntry:
    values: dict[str, object] = {
        "platform": "slack",
        "person_id": "U1",
        "person_email": "ann@example.com",
        "place_id": "C1",
        "command": "clip lobby 14:30 2m",
        "action": "clip",
        "outcome": Outcome.OK,
        "at": T0 + timedelta(minutes=minutes),
    }
    values.update(changes)
    return AuditEntry(**values)  # type: ignore[arg-type]


async def test_audit_rows_come_back_newest_first_and_filtered(database_url: str) -> None:
    store = await Store.open(database_url)
    try:
        first = await store.add_audit(entry(0))
        await store.add_audit(entry(1, outcome=Outcome.REFUSED, detail="viewer may not clip"))
        await store.add_audit(entry(2, platform="webex", person_id="P9", person_email=None))

        rows = await store.audit_rows()
        assert [row.at for row in rows] == [T0 + timedelta(minutes=m) for m in (2, 1, 0)]
        assert rows[-1] == first
        assert first.id > 0 and first.command == "clip lobby 14:30 2m"
        refused = await store.audit_rows(outcome="refused")
        assert [row.detail for row in refused] == ["viewer may not clip"]
        assert len(await store.audit_rows(person="ann@example.com")) == 2
        assert len(await store.audit_rows(person="P9")) == 1
        assert len(await store.audit_rows(platform="slack", place_id="C1")) == 2
        window = await store.audit_rows(since=T0 + timedelta(minutes=1), until=T0 + timedelta(2))
        assert [row.outcome for row in window] == [Outcome.OK, Outcome.REFUSED]
        assert len(await store.audit_rows(limit=1)) == 1
    finally:
        await store.close()


async def test_times_come_back_as_the_same_instant_in_utc(database_url: str) -> None:
    store = await Store.open(database_url)
    try:
        paris = timezone(timedelta(hours=1))
        local = datetime(2025, 3, 3, 15, 30, 5, 123000, tzinfo=paris)
        job = await store.add_job("clip", {}, None, local)
        assert job.due_at == local and job.due_at.tzinfo == UTC
        with pytest.raises(ValueError, match="time zone"):
            await store.add_job("clip", {}, None, datetime(2025, 3, 3, 14, 30))
    finally:
        await store.close()


async def test_jobs_are_created_updated_and_listed(database_url: str) -> None:
    store = await Store.open(database_url)
    try:
        place = {"platform": "slack", "room": "C1", "thread": "171.2"}
        later = await store.add_job("share-expiry", {"token": "t"}, None, T0 + timedelta(hours=1))
        clip = await store.add_job("clip", {"camera": "Q2XX", "span": [1, 2]}, place, T0)
        assert clip.status is JobStatus.PENDING and clip.attempts == 0
        assert clip.payload == {"camera": "Q2XX", "span": [1, 2]} and clip.place == place
        assert later.place is None
        assert await store.job(clip.id) == clip

        updated = await store.update_job(
            clip.id, status=JobStatus.RUNNING, attempts=1, last_error="422 too recent"
        )
        assert (updated.status, updated.attempts, updated.last_error) == (
            JobStatus.RUNNING,
            1,
            "422 too recent",
        )
        assert updated.updated_at >= clip.updated_at and updated.created_at == clip.created_at
        retried = await store.update_job(clip.id, due_at=T0 + timedelta(minutes=2), last_error=None)
        assert retried.last_error is None and retried.status is JobStatus.RUNNING

        assert [job.id for job in await store.jobs()] == [clip.id, later.id]
        assert [job.id for job in await store.jobs(status=JobStatus.PENDING)] == [later.id]
        assert [job.kind for job in await store.jobs(kind="clip")] == ["clip"]
        finished = await store.update_job(later.id, status="done")
        assert finished.status is JobStatus.DONE
        assert [job.id for job in await store.jobs(status="done")] == [later.id]
        with pytest.raises(ValueError):
            await store.update_job(later.id, status="finished")
        assert await store.job("no-such-job") is None
        with pytest.raises(JobNotFoundError):
            await store.update_job("no-such-job", status=JobStatus.DONE)
    finally:
        await store.close()


async def test_a_restart_keeps_everything_and_migrates_once(database_url: str) -> None:
    store = await Store.open(database_url)
    job = await store.add_job("clip", {"camera": "Q2XX"}, {"room": "C1"}, T0)
    await store.add_audit(entry(0, outcome=Outcome.PENDING))
    await store.close()

    for _restart in range(2):
        store = await Store.open(database_url)
        try:
            assert await store.schema_version() == LATEST_VERSION
            assert await store.job(job.id) == job
            assert [row.outcome for row in await store.audit_rows()] == [Outcome.PENDING]
        finally:
            await store.close()


async def test_migrations_build_the_tables_the_code_describes(database_url: str) -> None:
    await (await Store.open(database_url)).close()
    engine = create_database_engine(database_url)
    try:
        found = inspect(engine)
        for table in metadata.sorted_tables:
            columns = {
                column["name"]: column["nullable"] for column in found.get_columns(table.name)
            }
            assert columns == {column.name: column.nullable for column in table.columns}
            indexes = {index["name"] for index in found.get_indexes(table.name)}
            assert indexes == {index.name for index in table.indexes}
    finally:
        engine.dispose()


async def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path: Path) -> None:
    url = default_database_url(tmp_path / "data")
    await (await Store.open(url)).close()
    engine = create_database_engine(url)
    try:
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        engine.dispose()
    assert (tmp_path / "data" / "mvbot.db").is_file()


def test_an_unknown_outcome_is_refused_when_the_entry_is_made() -> None:
    with pytest.raises(ValueError):
        entry(0, outcome="maybe")


def test_the_configured_url_wins_over_the_default_file(tmp_path: Path) -> None:
    assert (
        configured_database_url(StoreSettings(data_dir=tmp_path))
        == f"sqlite:///{tmp_path}/mvbot.db"
    )
    chosen = StoreSettings(database_url="postgresql+psycopg://u:p@db/mvbot")  # type: ignore[arg-type]
    assert configured_database_url(chosen) == "postgresql+psycopg://u:p@db/mvbot"
