"""Signed, expiring download links for files too large to upload to a chat platform."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from pathlib import Path

from sqlalchemy import Engine

from bot.store.installation import installation_secret

KEY_FILE = "signing.key"  # where a single-process mvbot kept the key before version 18
KEY_NAME = "signing_key"


async def signing_key(engine: Engine, data_dir: Path) -> bytes:
    """The key that signs download links, PIN proofs and timeline links: one per
    installation, kept in the database so that a link one replica signed opens on any.

    The first start adopts the key file an earlier mvbot left in the data directory, so the
    links it handed out stay valid; the file is left in place (an older mvbot still reads it).
    """

    def make() -> str:
        try:
            key = (data_dir / KEY_FILE).read_bytes()
        except FileNotFoundError:
            key = secrets.token_bytes(32)
        return _b64(key)

    return _unb64(await installation_secret(engine, KEY_NAME, make))


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class FileLinks:
    """Links to files under `root`, valid for `ttl` seconds, that no one can forge or widen.

    A token is `<path, expiry>` signed with HMAC-SHA256; the path is relative to `root`
    and checked again on use, so a token can never reach outside it.
    """

    def __init__(
        self, key: bytes, public_url: str, root: Path, ttl: float = 86400.0, prefix: str = "files"
    ) -> None:
        self._key = key
        self.prefix = prefix  # the route's first segment: one route per folder of files
        self._base = public_url.rstrip("/")
        self._root = root.resolve()
        self._ttl = ttl

    def url_for(self, path: Path, *, now: float | None = None) -> str:
        relative = path.resolve().relative_to(self._root).as_posix()
        expires = int((now if now is not None else time.time()) + self._ttl)
        body = _b64(f"{expires}:{relative}".encode())
        return f"{self._base}/{self.prefix}/{body}.{self._sign(body)}/{path.name}"

    def resolve(self, token: str, *, now: float | None = None) -> Path | None:
        """The file a token names, or None if it is forged, expired or missing."""
        body, _, signature = token.partition(".")
        # Bytes, not str: compare_digest refuses non-ASCII text, and a URL may hold any.
        given = signature.encode("utf-8", "replace")
        if not hmac.compare_digest(given, self._sign(body).encode()):
            return None
        try:
            expires_text, _, relative = _unb64(body).decode().partition(":")
            expires = int(expires_text)
        except ValueError:
            return None
        if expires < (now if now is not None else time.time()):
            return None
        path = (self._root / relative).resolve()
        if not path.is_relative_to(self._root) or not path.is_file():
            return None
        return path

    def _sign(self, body: str) -> str:
        signed = body.encode("utf-8", "replace")
        return _b64(hmac.new(self._key, signed, hashlib.sha256).digest()[:20])
