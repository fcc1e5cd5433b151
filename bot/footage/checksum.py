"""Checksums of files someone brings to check: streamed, never read whole, capped in size."""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import AsyncIterator
from pathlib import Path

from bot.errors import UserError
from bot.grammar.formatting import size
from bot.grammar.tokens import echo

_SHA256 = re.compile(r"[0-9a-fA-F]{64}")
_BLOCK = 1 << 20


class TooLarge(UserError):
    """A file over the size `verify` checks."""


def read_checksum(text: str) -> str | None:
    """The SHA-256 `text` spells (64 hex digits, any case), lower case; None if it is not one."""
    return text.lower() if _SHA256.fullmatch(text) else None


async def hash_chunks(chunks: AsyncIterator[bytes], limit: int) -> str:
    """The SHA-256 of a stream of bytes; TooLarge once more than `limit` bytes arrive."""
    digest, seen = hashlib.sha256(), 0
    async for chunk in chunks:
        seen += len(chunk)
        if seen > limit:
            raise TooLarge(f"That file is over the {size(limit)} that verify checks.")
        digest.update(chunk)
    return digest.hexdigest()


async def hash_file(path: Path, limit: int) -> str:
    """The SHA-256 of a local file (console `verify /path`), read in blocks in a thread."""
    path = await asyncio.to_thread(path.expanduser)
    if not await asyncio.to_thread(path.is_file):
        raise UserError(
            f"'{echo(str(path))}' is neither a SHA-256 checksum (64 hex digits) nor a file here."
        )

    async def blocks() -> AsyncIterator[bytes]:
        with path.open("rb") as file:
            while block := await asyncio.to_thread(file.read, _BLOCK):
                yield block

    return await hash_chunks(blocks(), limit)
