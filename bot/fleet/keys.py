"""Advisory lock keys: one 64-bit number per purpose, per database schema."""

from __future__ import annotations

import hashlib

LEADER = "leader"
ALIVE = "alive"


def lock_key(schema: str, purpose: str, *names: str) -> int:
    """A signed 64-bit key for ("mvbot", schema, purpose, *names).

    Advisory locks belong to the whole database, not to a schema: the schema is part of the
    key so that mvbot installs (or tests) in different schemas of one database never meet.
    """
    text = "\x1f".join(("mvbot", schema, purpose, *names))
    digest = hashlib.blake2b(text.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)
