"""Typed errors raised by the Meraki Dashboard API client.

Every error the client raises is a ``MerakiError``::

    MerakiError                  status, operation, message (never the key, never a token URL)
     ├── InvalidRequest          400: bad timestamp format, clip longer than 5 min, end before start
     ├── Unauthorized            401 / 403 on an API call: key refused or lacks access
     ├── NotFound                404: unknown serial, no access, not a camera
     ├── Unprocessable           422 the client could not classify further
     │    ├── OutsideRetention   422 "outside the retention period"
     │    ├── TooRecent          422 "not yet available": ask again later
     │    └── CameraOffline      422 "camera was offline" at the requested time
     ├── RateLimited             429 still answered after the rate-limit wait budget is spent
     ├── Unavailable             5xx, timeouts, connection errors once retries are exhausted
     ├── MediaExpired            a media URL refused even after one fresh link
     ├── DownloadTooLarge        a media body larger than the caller's bound
     └── OrganizationUnresolved  no org id configured and the key does not see exactly one
"""

from __future__ import annotations

from collections.abc import Sequence


class MerakiError(Exception):
    """Base of every client error; ``str(err)`` is a sentence a person can read."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        operation: str = "",
        details: Sequence[str] = (),
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.operation = operation
        self.details = tuple(details)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status={self.status!r}, operation={self.operation!r}, "
            f"message={self.message!r})"
        )


class InvalidRequest(MerakiError):
    """The API rejected the request as malformed (400)."""


class Unauthorized(MerakiError):
    """The API key was refused or has no access to this resource (401/403)."""


class NotFound(MerakiError):
    """The resource does not exist or the key cannot see it (404)."""


class Unprocessable(MerakiError):
    """The API understood the request but cannot serve it (422)."""


class OutsideRetention(Unprocessable):
    """The requested footage is older than the camera keeps video."""


class TooRecent(Unprocessable):
    """The requested footage has not reached the cloud yet; retry later."""


class CameraOffline(Unprocessable):
    """The camera was offline during the requested time."""


class RateLimited(MerakiError):
    """The organisation stayed rate limited for longer than the client would wait."""

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        status: int | None = 429,
        operation: str = "",
        details: Sequence[str] = (),
    ) -> None:
        super().__init__(message, status=status, operation=operation, details=details)
        self.retry_after = retry_after


class Unavailable(MerakiError):
    """The API or media host failed, timed out or dropped the connection, retries spent."""


class MediaExpired(MerakiError):
    """A media URL was refused as expired, even after asking for a fresh one."""


class DownloadTooLarge(MerakiError):
    """A media body exceeded the size the caller allows."""


class OrganizationUnresolved(MerakiError):
    """No organisation id was configured and the key does not see exactly one."""


_UNPROCESSABLE_KINDS: tuple[tuple[str, type[Unprocessable]], ...] = (
    ("outside the retention period", OutsideRetention),
    ("not yet available", TooRecent),
    ("camera was offline", CameraOffline),
)


def classify_unprocessable(details: Sequence[str]) -> type[Unprocessable]:
    """Pick the 422 subclass whose tell-tale fragment appears in the API's messages."""
    text = " ".join(details).lower()
    for fragment, kind in _UNPROCESSABLE_KINDS:
        if fragment in text:
            return kind
    return Unprocessable


def error_for_status(
    status: int, operation: str, details: Sequence[str], retry_after: float | None = None
) -> MerakiError:
    """Build the typed error for a final (non-retried) HTTP status of an API call."""
    said = "; ".join(details) if details else f"HTTP {status}"
    kind: type[MerakiError]
    if status == 400:
        kind, message = InvalidRequest, f"{operation}: the API rejected the request: {said}"
    elif status in (401, 403):
        kind, message = Unauthorized, f"{operation}: the API key was refused or lacks access"
    elif status == 404:
        kind, message = NotFound, f"{operation}: not found: {said}"
    elif status == 422:
        kind, message = classify_unprocessable(details), f"{operation}: {said}"
    elif status == 429:
        return RateLimited(
            f"{operation}: the organisation is still rate limited; gave up waiting",
            retry_after=retry_after,
            operation=operation,
            details=details,
        )
    elif status >= 500:
        kind, message = Unavailable, f"{operation}: the Meraki cloud failed (HTTP {status})"
    else:
        kind, message = MerakiError, f"{operation}: unexpected HTTP {status}: {said}"
    return kind(message, status=status, operation=operation, details=details)
