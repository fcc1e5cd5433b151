"""Reminders before a share expires and its expiry, as scheduled jobs that survive restarts.

The share rows are the source of truth: a job only wakes a share up, and the handler
re-reads it and decides (already ended, extended since, reminder already sent). `resume`
re-arms every share that is not ended yet, so a restart delays a reminder or an expiry
job but never loses it; the viewer itself refuses an expired link by the clock anyway.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from bot.config.sections import SharesSettings
from bot.grammar.formatting import duration, iso_utc
from bot.messages import Button, Place, Reply, Tone
from bot.outbox import Outbox
from bot.scheduler import Scheduler
from bot.shares.model import AccessEntry, AccessEvent, EndReason, Share
from bot.shares.store import ShareStore

log = logging.getLogger(__name__)

EXPIRE = "share-expire"
REMIND = "share-remind"
SYSTEM_ACTOR = "mvbot (expiry)"
# A job that fires this little early still counts as on time (the scheduler's clock and ours).
EARLY_SLACK = timedelta(milliseconds=500)
RETRY_POST = timedelta(minutes=1)


class ShareJobs:
    """Arms, re-arms and runs the expiry and reminder job of each share."""

    def __init__(
        self,
        store: ShareStore,
        scheduler: Scheduler,
        outbox: Outbox,
        settings: SharesSettings,
        clock: Callable[[], datetime],
    ) -> None:
        self._store, self._scheduler, self._outbox = store, scheduler, outbox
        self._settings, self._clock = settings, clock
        self.ended = asyncio.Condition()  # notified whenever shares end
        self._reminding = asyncio.Lock()
        scheduler.register(EXPIRE, self.expire)
        scheduler.register(REMIND, self.remind)

    def reminder_owed(self, share: Share) -> bool:
        """A reminder is owed once per expiry, when the share did not start inside the lead."""
        lead = self._settings.reminder_lead
        return (
            lead > timedelta(0)
            and share.reminded_for != share.expires_at
            and share.expires_at - lead > share.created_at
        )

    def arm(self, share: Share) -> None:
        now = self._clock()
        self._scheduler.schedule(EXPIRE, f"{EXPIRE}:{share.id}", max(share.expires_at, now))
        if self.reminder_owed(share) and now < share.expires_at:
            at = max(share.expires_at - self._settings.reminder_lead, now)
            self._scheduler.schedule(REMIND, f"{REMIND}:{share.id}", at)

    def disarm(self, share: Share) -> None:
        self._scheduler.cancel(f"{EXPIRE}:{share.id}")
        self._scheduler.cancel(f"{REMIND}:{share.id}")

    async def resume(self) -> int:
        """Re-arm every share not ended yet; returns how many."""
        waiting = await self._store.shares(unended=True)
        for share in waiting:
            self.arm(share)
        return len(waiting)

    async def expire(self, job_id: str) -> None:
        share = await self._store.share(job_id.partition(":")[2])
        if share is None or share.ended_at is not None:
            return
        now = self._clock()
        if share.expires_at > now + EARLY_SLACK:
            self.arm(share)  # extended after this job was armed
            return
        others = await self._store.shares(email=share.email, active_at=now)
        detail = f"expired at {iso_utc(share.expires_at)}"
        entry = AccessEntry.by(
            SYSTEM_ACTOR, now, AccessEvent.DISABLED, share.email, share.camera, detail
        )
        leftover = [s for s in others if s.id != share.id]
        emails = [] if leftover else [share.email]
        await self._store.end([share.id], now, EndReason.EXPIRED, [entry], emails)
        self._scheduler.cancel(f"{REMIND}:{share.id}")
        log.info("share expired share=%s", share.id)
        await self.notify_ended()

    async def notify_ended(self) -> None:
        """Wake whoever waits in `ShareService.wait_ended`: some shares just ended."""
        async with self.ended:
            self.ended.notify_all()

    async def remind(self, job_id: str) -> None:
        # Shares made together fall due together, and one message covers them all: the
        # lock keeps a second job from sending before the first has marked them reminded.
        async with self._reminding:
            await self._remind(job_id)

    async def _remind(self, job_id: str) -> None:
        share = await self._store.share(job_id.partition(":")[2])
        now = self._clock()
        if share is None or share.place is None:
            return  # nowhere to post it
        if not share.active(now) or not self.reminder_owed(share):
            return
        if share.expires_at - self._settings.reminder_lead > now + EARLY_SLACK:
            self.arm(share)
            return
        # Every share of this e-mail from the same room that expires together: one message.
        siblings = [
            s
            for s in await self._store.shares(email=share.email, active_at=now)
            if s.place == share.place and s.expires_at == share.expires_at and self.reminder_owed(s)
        ]
        try:
            place = Place.from_json(share.place)
            await self._outbox.send(place, reminder(siblings, now), key=reminder_key(share))
        except Exception:
            log.exception("posting a share reminder failed share=%s", share.id)
            if now + RETRY_POST < share.expires_at:
                self._scheduler.schedule(REMIND, job_id, now + RETRY_POST)
            return
        await self._store.mark_reminded([s.id for s in siblings], share.expires_at)


def reminder_key(share: Share) -> str:
    """One reminder per e-mail, room and expiry: the message covers every share of that
    e-mail from that room expiring together, whichever of their jobs fires first."""
    place = share.place or {}
    what = f"{share.email}|{place.get('platform')}|{place.get('room_id')}|{share.expires_at}"
    return "share-remind-" + hashlib.sha256(what.encode()).hexdigest()[:32]


def reminder(shares: Sequence[Share], now: datetime) -> Reply:
    email, expires = shares[0].email, shares[0].expires_at
    names = ", ".join(s.camera.name for s in shares)
    return Reply(
        f"The stream share of *{names}* with {email} expires in "
        f"{duration(expires - now)} ({iso_utc(expires)}).",
        tone=Tone.WARNING,
        title="Stream share expiring",
        buttons=(
            Button("Extend 1 h", f"extend {email} 1h"),
            Button("Revoke", f"revoke all {email}", danger=True),
        ),
    )
