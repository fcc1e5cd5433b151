"""An incident's link token: its number and expiry, signed with the installation's key.

Nothing is stored per link: the signature proves the token was issued, the expiry is in it,
and revocation is the incident's own `revoked_at`, checked on every request.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime


@dataclass(frozen=True)
class Pass:
    """What a token says once its signature is checked."""

    number: int
    expires: datetime


class IncidentSigner:
    def __init__(self, key: bytes) -> None:
        # Its own key, derived: a token for an incident can never pass for a file link.
        self._key = hmac.new(key, b"mvbot incident links", hashlib.sha256).digest()

    def token(self, number: int, expires: datetime) -> str:
        body = f"{number}-{int(expires.timestamp())}"
        return f"{body}-{self._sign(body)}"

    def read(self, token: str) -> Pass | None:
        """The incident and expiry a token names, or None if it is malformed or forged."""
        body, _, signature = token.rpartition("-")
        # Bytes, not str: compare_digest refuses non-ASCII text, and a URL may hold any.
        if not hmac.compare_digest(signature.encode("utf-8", "replace"), self._sign(body).encode()):
            return None
        number, _, expires = body.partition("-")
        if not (number.isdigit() and expires.isdigit()):
            return None
        return Pass(int(number), datetime.fromtimestamp(int(expires), UTC))

    def _sign(self, body: str) -> str:
        return hmac.new(self._key, body.encode("utf-8", "replace"), hashlib.sha256).hexdigest()[:40]
