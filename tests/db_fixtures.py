"""Database URLs for tests: a SQLite file always, PostgreSQL when MVBOT_TEST_POSTGRES_URL is set.

Each PostgreSQL test gets a schema of its own (via search_path), dropped afterwards. A test
module imports `database_url_fixture` and asks for the fixture `database_url`.
"""

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.store import create_database_engine, normalised_url

POSTGRES_VARIABLE = "MVBOT_TEST_POSTGRES_URL"


@pytest.fixture(name="database_url", params=["sqlite", "postgresql"])
def database_url_fixture(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL for an empty database, on each backend this machine has."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'mvbot.db'}"
        return
    base = os.environ.get(POSTGRES_VARIABLE)
    if not base:
        pytest.skip(f"set {POSTGRES_VARIABLE} to run this test on PostgreSQL too")
    schema = f"mvbot_test_{uuid.uuid4().hex[:16]}"
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
