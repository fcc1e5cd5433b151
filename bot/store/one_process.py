"""SQLite serves one mvbot process: a second one on the same file is refused at start.

Two processes on one SQLite file would each run the scheduler, the plate worker and the
MQTT session, so every job would run twice. Several replicas share PostgreSQL instead.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import make_url


@contextmanager
def holding_sqlite(database_url: str) -> Iterator[None]:
    """Hold `<database>.lock` while mvbot runs; raise a one-line RuntimeError when another
    process holds it. A no-op for PostgreSQL and in-memory SQLite.

    POSIX record locks belong to the process, so the kernel frees this one when the process
    dies, kill -9 included: a crash never leaves a stale lock behind.
    """
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        yield
        return
    path = Path(url.database).with_name(Path(url.database).name + ".lock")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            raise RuntimeError(
                f"another mvbot process (pid {holder}) is running on the SQLite database "
                f"{url.database}; SQLite serves one process — stop it, or run several "
                "replicas on PostgreSQL (MVBOT_DATABASE_URL)"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)  # closing releases the lock
