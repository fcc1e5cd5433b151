"""Database URLs and engines: SQLite (WAL, foreign keys, real transactions) or PostgreSQL."""

from pathlib import Path
from typing import Any

from sqlalchemy import URL, Engine, create_engine, event, make_url

from bot.config.sections import StoreSettings

DATABASE_FILE = "mvbot.db"


def default_database_url(data_dir: Path) -> str:
    """The SQLite file the store uses when no database URL is configured."""
    return f"sqlite:///{data_dir / DATABASE_FILE}"


def configured_database_url(settings: StoreSettings) -> str:
    """The configured database URL, or the default SQLite file in the data directory."""
    if settings.database_url is not None:
        return settings.database_url.get_secret_value()
    return default_database_url(settings.data_dir)


def normalised_url(url: str | URL) -> URL:
    """The URL with the installed PostgreSQL driver (psycopg 3) named when none is."""
    parsed = make_url(url)
    if parsed.drivername in {"postgresql", "postgres"}:
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def create_database_engine(url: str | URL) -> Engine:
    """A sync engine; for SQLite it also creates the file's directory (blocking: use a thread)."""
    parsed = normalised_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(parsed, pool_pre_ping=True)
    if parsed.database:
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    # Calls arrive from asyncio.to_thread workers, so a pooled connection changes threads.
    engine = create_engine(parsed, connect_args={"check_same_thread": False, "timeout": 30})
    event.listen(engine, "connect", _configure_sqlite)
    event.listen(engine, "begin", _begin_sqlite)
    return engine


def _configure_sqlite(connection: Any, _record: Any) -> None:
    # pysqlite's own implicit BEGIN skips DDL, so migrations would not be atomic; SQLAlchemy
    # emits BEGIN itself instead (its documented recipe for SQLite transactions).
    connection.isolation_level = None
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def writing_first(engine: Engine) -> Engine:
    """The engine, its transactions taking SQLite's write lock at BEGIN: for one that reads
    before it writes while others may commit (a read snapshot cannot become a write once
    another connection has committed since: "database is locked" at once, without waiting)."""
    return engine.execution_options(sqlite_write_lock_at_begin=True)


def _begin_sqlite(connection: Any) -> None:
    immediate = connection.get_execution_options().get("sqlite_write_lock_at_begin", False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
