"""Database URLs for tests: a SQLite file always, PostgreSQL when MVBOT_TEST_POSTGRES_URL is set.

Each PostgreSQL database is a schema of its own (via search_path), dropped afterwards. A test
module imports `database_url_fixture` and asks for the fixture `database_url` (one empty
database), or imports `database_factory_fixture` and asks for `database_factory` (a callable
that makes another empty database on the same backend each time it is called).
"""

import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.store import create_database_engine, normalised_url

POSTGRES_VARIABLE = "MVBOT_TEST_POSTGRES_URL"
BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(name="database_url", params=BACKENDS)
def database_url_fixture(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL for an empty database, on each backend this machine has."""
    with _empty_database(request.param, tmp_path / "mvbot.db") as url:
        yield url


@pytest.fixture(name="database_factory", params=BACKENDS)
def database_factory_fixture(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[Callable[[], str]]:
    """Makes URLs for empty databases on one backend; each test runs on each backend."""
    with ExitStack() as databases:

        def make() -> str:
            path = tmp_path / f"mvbot-{uuid.uuid4().hex[:8]}.db"
            return databases.enter_context(_empty_database(request.param, path))

        yield make


@pytest.fixture(name="postgres_url")
def postgres_url_fixture(tmp_path: Path) -> Iterator[str]:
    """An empty PostgreSQL database only (replicas share one); skipped without one."""
    with _empty_database("postgresql", tmp_path / "unused.db") as url:
        yield url


@contextmanager
def _empty_database(backend: str, sqlite_path: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{sqlite_path}"
        return
    base = os.environ.get(POSTGRES_VARIABLE)
    if not base:
        pytest.skip(f"set {POSTGRES_VARIABLE} to run this test on PostgreSQL too")
    with fresh_schema(base, "mvbot_test") as url:
        yield url


@contextmanager
def fresh_schema(base: str, prefix: str) -> Iterator[str]:
    """A URL for a new, empty schema of the PostgreSQL database at `base` (tests and
    benchmarks run side by side in one database), dropped afterwards."""
    schema = f"{prefix}_{uuid.uuid4().hex[:16]}"
    admin = create_database_engine(base)
    try:
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = normalised_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    finally:
        admin.dispose()


@pytest.fixture(name="postgres_factory")
def postgres_factory_fixture(tmp_path: Path) -> Iterator[Callable[[], str]]:
    """Makes URLs for empty PostgreSQL databases (schemas); skips without PostgreSQL."""
    with ExitStack() as databases:
        yield lambda: databases.enter_context(_empty_database("postgresql", tmp_path / "x.db"))
