"""One stored command as its run sees it: its progress message, and whether a restart cut it."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import datetime

from bot.inflight.journal import CommandJournal, CommandStatus
from bot.messages import Reply, SentMessage
from bot.store import AuditEntry

# The first line of the first answer to a command a restart interrupted, so the person
# knows why it comes late (and, for a clip, why its progress message was redone).
RESUMED = "Interrupted by a restart — here it is:"
RESUMED_FAILED = "Interrupted by a restart, and then:"


class Tracker:
    """Records what a run posts on the command's row and finishes the row with its audit."""

    def __init__(
        self,
        journal: CommandJournal,
        platform: str,
        key: str,
        *,
        resumed: bool = False,
        earlier: SentMessage | None = None,
        accepted_at: datetime | None = None,
    ) -> None:
        self.journal = journal
        self.platform = platform
        self.key = key
        self.resumed = resumed
        self.accepted_at = accepted_at  # when the platform's delivery was stored
        # The progress message an interrupted run left behind, until this run takes it over.
        self.earlier = earlier
        self._announced = False
        self._keys: dict[str, int] = {}  # per kind of key, how many this run has taken

    def take_earlier(self) -> SentMessage | None:
        """The interrupted run's progress message, once: a new run edits it instead of
        posting a second one."""
        earlier, self.earlier = self.earlier, None
        return earlier

    def announce(self, reply: Reply) -> Reply:
        """`reply`, opened with a word about the restart if it is a resumed command's first
        answer (progress messages excepted: they are not the answer)."""
        if not self.resumed or self._announced:
            return reply
        self._announced = True
        opening = RESUMED_FAILED if reply.failed else RESUMED
        return replace(reply, text=f"{opening}\n{reply.text}")

    def answer_key(self) -> str:
        """The idempotency key of the command's next answer: one posted before a crash is
        not posted again (bot.outbox)."""
        return self._next("answer")

    def job_key(self) -> str:
        """The id of the next job the command stores: one stored before a crash is found
        again, not stored twice (bot.store, `add_job`)."""
        return self._next("job")

    def _next(self, kind: str) -> str:
        # A run after a crash numbers its answers and jobs as the cut-short run did.
        self._keys[kind] = count = self._keys.get(kind, 0) + 1
        command = hashlib.sha256(f"{self.platform}\n{self.key}".encode()).hexdigest()[:32]
        return f"{kind}-{command}-{count}"

    async def posted(self, sent: SentMessage) -> None:
        await self.journal.progress(self.platform, self.key, sent)

    async def finish(self, failed: bool, audit: AuditEntry) -> None:
        status = CommandStatus.FAILED if failed else CommandStatus.DONE
        await self.journal.finish(self.platform, self.key, status, audit=audit)
