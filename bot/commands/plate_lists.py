"""`watchlist import|export` and `allowlist import|export`: a room's plate lists as CSV files.

An import reads the CSV posted with the command (a Slack file share, a Webex attachment,
on the console a path), checks every row and changes nothing unless all are good; an
export posts the list as a CSV file. The posted file is read through the outbox's
`read_file` (each adapter reads its own platform's files), as `verify` reads them.
"""

from __future__ import annotations

import asyncio
import secrets
from pathlib import Path
from typing import TYPE_CHECKING

from bot.access import Role
from bot.commands.plate_csv import MAX_BYTES, CsvRefused, read_entries, write_entries
from bot.errors import Refused, UserError
from bot.events.allowlist import Allowlist, NewAllow
from bot.events.watchlist import Watchlist
from bot.grammar.tokens import ParseError, join_words
from bot.messages import Attachment, Reply, Tone
from bot.outbox import FileUnreadable, NoAdapter
from bot.store import Outcome

if TYPE_CHECKING:
    from bot.router import Request

CONSOLE = "console"  # the one platform where a path names the file: it is the operator's own
LIST_WORDS = frozenset({"import", "export"})


class PlateLists:
    def __init__(self, watchlist: Watchlist, allowlist: Allowlist) -> None:
        self.watchlist = watchlist
        self.allowlist = allowlist

    async def run(self, request: Request, kind: str, words: list[str]) -> Outcome:
        """`import [path]` or `export` of the `kind` ("watchlist" or "allowlist") list."""
        action = words[0].lower()
        if action == "export":
            return await self._export(request, kind)
        if request.role < Role.OPERATOR:
            raise Refused(f"Sorry, `{kind} import` needs the operator role.")
        data = await _posted_file(request, words[1:])
        try:
            entries = read_entries(data)
        except CsvRefused as refused:
            await request.say(Reply(str(refused), title=f"{kind} import", tone=Tone.ERROR))
            return Outcome.FAILED
        message = request.message
        person = message.person.email or message.person.id
        if kind == "watchlist":
            added = await self.watchlist.import_watches(
                message.place, [(e.pattern, e.note, e.hours) for e in entries], person
            )
        else:
            new = [NewAllow(e.pattern, e.note, e.hours) for e in entries]
            flags = await self.allowlist.replace_or_add(message.place, new, person, replace=False)
            added = sum(flags)
        text = (
            f"Imported {len(entries)} plates into this room's {kind}: {added} new, "
            f"{len(entries) - added} updated."
        )
        await request.say(Reply(text, tone=Tone.SUCCESS))
        return Outcome.OK

    async def _export(self, request: Request, kind: str) -> Outcome:
        place = request.message.place
        if kind == "watchlist":
            watches = await self.watchlist.watches(place)
            rows = [(w.pattern.text, w.note, w.hours) for w in watches]
        else:
            allows = await self.allowlist.allows(place)
            rows = [(a.pattern.text, a.note, a.hours) for a in allows]
        path = request.services.files / f"{kind}-{secrets.token_hex(4)}.csv"
        await asyncio.to_thread(path.write_text, write_entries(rows), "utf-8", newline="")
        attachment = Attachment(path, "file", "text/csv", f"{kind}.csv")
        text = f"This room's {kind}: {len(rows)} plate{'s' if len(rows) != 1 else ''}."
        await request.say(Reply(text, title=f"{kind} export", attachment=attachment))
        return Outcome.OK


async def _posted_file(request: Request, words: list[str]) -> bytes:
    message = request.message
    if words:
        if message.place.platform != CONSOLE:
            raise ParseError(
                "Attach the CSV file to the command; a path works on the console only."
            )
        return await asyncio.to_thread(_read_local, Path(join_words(words)))
    if not message.files:
        raise UserError("No file came with the command: attach the CSV to it.")
    shared = message.files[0]
    too_big = UserError(f"That file is over {MAX_BYTES:,} bytes; a list can be no larger.")
    if shared.size is not None and shared.size > MAX_BYTES:
        raise too_big
    chunks: list[bytes] = []
    read = 0
    try:
        async for chunk in request.services.outbox.read_file(message.place.platform, shared.ref):
            read += len(chunk)
            if read > MAX_BYTES:  # the platform's size can be missing or wrong
                raise too_big
            chunks.append(chunk)
    except NoAdapter:
        raise UserError("I cannot read files posted here.") from None
    except FileUnreadable as error:
        raise UserError(str(error)) from None
    return b"".join(chunks)


def _read_local(path: Path) -> bytes:
    try:
        if path.stat().st_size > MAX_BYTES:
            raise UserError(f"{path.name} is over {MAX_BYTES:,} bytes; a list can be no larger.")
        return path.read_bytes()
    except OSError as error:
        raise UserError(f"Cannot read {path}: {error.strerror or error}.") from None
