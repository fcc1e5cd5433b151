"""Numbered migrations build exactly the live tables, from empty or from the old module's schema."""

import ast
import re
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, MetaData, bindparam, inspect, text

from bot.events.sensor_links import metadata as sensor_metadata
from bot.events.tables import metadata as events_metadata
from bot.exports.tables import metadata as exports_metadata
from bot.fleet.tables import metadata as fleet_metadata
from bot.footage.tables import metadata as footage_metadata
from bot.health.tables import metadata as health_metadata
from bot.incidents.tables import metadata as incidents_metadata
from bot.inflight.tables import metadata as inflight_metadata
from bot.meraki.tables import metadata as budget_metadata
from bot.occupancy.threshold_store import metadata as occupancy_metadata
from bot.scheduler.tables import metadata as scheduler_metadata
from bot.shares.tables import metadata as shares_metadata
from bot.store import LATEST_VERSION, Store, create_database_engine, migrate
from bot.store.column_types import UTCDateTime
from bot.store.installation import metadata as installation_metadata
from bot.store.migrations import MIGRATIONS
from bot.store.schema import metadata as store_metadata
from tests.db_fixtures import database_factory_fixture  # noqa: F401

MIGRATIONS_DIR = Path(__file__).parent.parent / "bot" / "store" / "migrations"
LEGACY_DDL = Path(__file__).parent / "data"
LIVE: tuple[MetaData, ...] = (
    store_metadata,
    shares_metadata,
    events_metadata,
    occupancy_metadata,
    scheduler_metadata,
    inflight_metadata,
    incidents_metadata,
    exports_metadata,
    footage_metadata,
    health_metadata,
    sensor_metadata,
    budget_metadata,
    installation_metadata,
    fleet_metadata,
)
# What a migration may import: a frozen shape must not move when the code it came from does.
ALLOWED_IMPORTS = {"__future__", "sqlalchemy", "bot.store.column_types"}

DatabaseFactory = Callable[[], str]
T0 = datetime(2025, 3, 3, 14, 30, tzinfo=UTC)


def migration_files() -> list[Path]:
    return sorted(MIGRATIONS_DIR.glob("v*.py"))


def imported_modules(path: Path) -> Iterator[str]:
    # Walks the whole tree: an import inside a function counts as much as one at the top.
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            yield "." * node.level + (node.module or "")


def allowed(module: str) -> bool:
    top = module.split(".")[0]
    if top in sys.stdlib_module_names and top != "bot":
        return True
    return any(module == name or module.startswith(f"{name}.") for name in ALLOWED_IMPORTS)


def test_migrations_import_no_feature_package() -> None:
    assert migration_files(), "no migration files found"
    for path in migration_files():
        refused = [module for module in imported_modules(path) if not allowed(module)]
        assert refused == [], f"{path.name} imports {refused}"


def test_every_migration_file_is_applied_in_version_order() -> None:
    listed = [(version, step.__module__.rsplit(".", 1)[-1]) for version, step in MIGRATIONS]
    files = []
    for path in migration_files():
        found = re.fullmatch(r"v(\d{3})_[a-z0-9_]+", path.stem)
        assert found, f"{path.name} is not named vNNN_<what>.py"
        files.append((int(found.group(1)), path.stem))
    assert listed == files
    assert [version for version, _ in listed] == sorted({version for version, _ in listed})
    assert files[-1][0] == LATEST_VERSION


def shape(engine: Engine) -> dict[str, dict[str, Any]]:
    """Every table as the database reports it, in a form two databases can be compared in."""
    found = inspect(engine)
    dialect = engine.dialect
    tables: dict[str, dict[str, Any]] = {}
    for name in sorted(found.get_table_names()):
        columns = [
            (
                column["name"],
                column["type"].compile(dialect=dialect),
                column["nullable"],
                column.get("default"),
                column.get("autoincrement"),
            )
            for column in found.get_columns(name)
        ]
        indexes = [
            (
                index["name"],
                tuple(index["column_names"]),
                bool(index["unique"]),
                str(index.get("dialect_options", {}).get(f"{dialect.name}_where", "")),  # partial
            )
            for index in found.get_indexes(name)
        ]
        uniques = [
            (unique["name"], tuple(unique["column_names"]))
            for unique in found.get_unique_constraints(name)
        ]
        foreign_keys = [
            (key["name"], tuple(key["constrained_columns"]), key["referred_table"])
            for key in found.get_foreign_keys(name)
        ]
        tables[name] = {
            "columns": sorted(columns),
            "primary_key": found.get_pk_constraint(name)["constrained_columns"],
            "indexes": sorted(indexes, key=repr),
            "unique": sorted(uniques, key=repr),
            "foreign_keys": sorted(foreign_keys, key=repr),
        }
    return tables


def shape_of(url: str, build: Callable[[Engine], object]) -> dict[str, dict[str, Any]]:
    engine = create_database_engine(url)
    try:
        build(engine)
        return shape(engine)
    finally:
        engine.dispose()


def create_live_tables(engine: Engine) -> None:
    with engine.begin() as connection:
        for metadata in LIVE:
            metadata.create_all(connection)


def build_legacy(engine: Engine, version: int) -> None:
    """The database the single-module migrations left at `version`, from the DDL they ran."""
    script = (LEGACY_DDL / f"schema_v4_{engine.dialect.name}.sql").read_text()
    sections = re.split(r"^-- (bookkeeping|version \d+)$", script, flags=re.MULTILINE)
    with engine.begin() as connection:
        for title, body in zip(sections[1::2], sections[2::2], strict=True):
            number = 0 if title == "bookkeeping" else int(title.split()[1])
            if number > version:
                continue
            for statement in filter(str.strip, body.split(";")):
                connection.exec_driver_sql(statement)
            if number:
                connection.execute(
                    text(
                        "INSERT INTO schema_version (version, applied_at) VALUES (:v, :at)"
                    ).bindparams(bindparam("at", type_=UTCDateTime)),
                    {"v": number, "at": datetime(2025, 3, 1, tzinfo=UTC)},
                )


def test_a_new_database_has_exactly_the_live_tables(database_factory: DatabaseFactory) -> None:
    migrated = shape_of(database_factory(), migrate)
    described = shape_of(database_factory(), create_live_tables)
    assert set(migrated) == {table for metadata in LIVE for table in metadata.tables}
    for table in described:
        assert migrated[table] == described[table], table


@pytest.mark.parametrize("left_at", [1, 2, 3, 4])
def test_a_database_the_old_migrations_built_migrates_cleanly(
    database_factory: DatabaseFactory, left_at: int
) -> None:
    legacy_url = database_factory()

    def upgrade(engine: Engine) -> None:
        build_legacy(engine, left_at)
        assert migrate(engine) == left_at

    assert shape_of(legacy_url, upgrade) == shape_of(database_factory(), migrate)


async def test_pending_work_from_the_old_schema_survives_the_upgrade(
    database_factory: DatabaseFactory,
) -> None:
    url = database_factory()
    engine = create_database_engine(url)
    try:
        build_legacy(engine, LATEST_VERSION)
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO jobs (id, kind, payload, place, status, due_at, attempts,"
                    " created_at, updated_at) VALUES ('j1', 'clip', '{\"camera\": \"Q2XX\"}',"
                    " NULL, 'pending', :at, 0, :at, :at)"
                ).bindparams(bindparam("at", type_=UTCDateTime)),
                {"at": T0},
            )
    finally:
        engine.dispose()

    store = await Store.open(url)
    try:
        assert await store.schema_version() == LATEST_VERSION
        job = await store.job("j1")
        assert job is not None
        assert (job.kind, job.payload, job.status.value) == ("clip", {"camera": "Q2XX"}, "pending")
        assert job.due_at == T0
        added = await store.add_job("clip", {}, None, T0 + timedelta(minutes=5))
        assert [found.id for found in await store.jobs()] == ["j1", added.id]
    finally:
        await store.close()
