"""Start-up failures in one line an operator can act on: what failed and what to check.

`mvbot run` prints this line instead of a traceback (the trace goes to the log at DEBUG).
Only failures whose cause lies outside mvbot are explained; anything else is a bug and
keeps its traceback.
"""

from __future__ import annotations

import errno
import socket

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

from bot.meraki import MerakiError

_UNREACHABLE = frozenset(
    {errno.ECONNREFUSED, errno.EHOSTUNREACH, errno.ENETUNREACH, errno.ETIMEDOUT}
)


def startup_failure(error: BaseException, database_url: str) -> str | None:
    """One line saying what failed and what to check; None for a failure that is a bug."""
    if isinstance(error, DBAPIError | NoSuchModuleError | ArgumentError):
        return _database(error, database_url)
    if isinstance(error, MerakiError):
        return (
            f"the Dashboard API failed: {error} — check MVBOT_MERAKI_API_KEY, "
            "MVBOT_MERAKI_BASE_URL and MVBOT_MERAKI_ORG_ID"
        )
    if isinstance(error, OSError) and error.errno == errno.EADDRINUSE:
        return (
            "the web server cannot listen: the address is already in use — "
            "check MVBOT_HTTP_HOST and MVBOT_HTTP_PORT, or stop what holds the port"
        )
    if isinstance(error, OSError) and error.errno in (errno.EACCES, errno.EADDRNOTAVAIL):
        return f"the web server cannot listen: {error.strerror} — check MVBOT_HTTP_HOST"
    unreachable = isinstance(error, OSError) and error.errno in _UNREACHABLE
    if unreachable or isinstance(error, ConnectionError | TimeoutError | socket.gaierror):
        # Raised by a chat SDK's first call (aiohttp's connection errors are OSErrors).
        return (
            f"a service mvbot needs cannot be reached: {error} — check MVBOT_SLACK_API_URL, "
            "MVBOT_WEBEX_API_URL, MVBOT_MERAKI_BASE_URL and this host's network and DNS"
        )
    if isinstance(error, PermissionError | FileNotFoundError | NotADirectoryError):
        where = f" ({error.filename})" if error.filename else ""
        return f"a file cannot be opened{where}: {error.strerror} — check MVBOT_DATA_DIR"
    if isinstance(error, RuntimeError) and type(error) is RuntimeError:
        # mvbot's own start-up checks raise these with a sentence (a refused Slack token);
        # subclasses (RecursionError, NotImplementedError) are bugs and keep their trace.
        return str(error)
    return None


def _database(error: BaseException, url: str) -> str:
    try:
        parsed = make_url(url)
        sqlite = parsed.get_backend_name() == "sqlite"
        where = (parsed.database or "(memory)") if sqlite else _server(url)
    except ArgumentError:
        where = "(a URL that cannot be parsed)"
    cause = error.orig if isinstance(error, DBAPIError) and error.orig is not None else error
    # A driver's first line says what happened; the rest is hints and SQLAlchemy's links.
    reason = (str(cause).strip().splitlines() or [type(cause).__name__])[0]
    return (
        f"the database at {where} cannot be opened: {reason} — check MVBOT_DATABASE_URL "
        "(host, port, user, password, database) and that the server is running"
    )


def _server(url: str) -> str:
    parsed = make_url(url)  # host and port only: the URL may carry a password
    port = f":{parsed.port}" if parsed.port else ""
    return f"{parsed.get_backend_name()}://{parsed.host or 'localhost'}{port}"
