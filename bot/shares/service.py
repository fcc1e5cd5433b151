"""Stream shares as seed 001 describes them: one link per e-mail, 24 h, extend, revoke, log.

Semantics kept from the dashboard feature: sharing another camera with an e-mail that
has active streams adds it to that e-mail's link and resets every active stream of the
e-mail to a full expiry; extending adds time to all of them; revoking is per camera or
all. Since only a hash of each token is kept, every `share` hands out a new token; the
e-mail's earlier tokens keep working (seed 001: the old URL "will still be valid") for as
long as the e-mail has an active stream, and die for good once it has none.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from bot.config.sections import SharesSettings
from bot.grammar.formatting import iso_utc
from bot.messages import Place
from bot.outbox import Outbox
from bot.scheduler import Scheduler
from bot.shares.credentials import looks_like_token, new_pin, new_token, pin_hash, token_hash
from bot.shares.jobs import ShareJobs
from bot.shares.lockout import PinLockout
from bot.shares.model import (
    AccessEntry,
    AccessEvent,
    CameraFacts,
    EndReason,
    Grant,
    Link,
    NewLink,
    Share,
)
from bot.shares.store import ShareStore


class NoActiveShare(LookupError):
    """The e-mail (or the e-mail and camera) has no active stream; `str()` says so."""


class ShareService:
    """Creates, extends, revokes and expires shares, and tells the viewer what a token reaches."""

    def __init__(
        self,
        store: ShareStore,
        scheduler: Scheduler,
        outbox: Outbox,
        settings: SharesSettings,
        *,
        clock: Callable[[], datetime],
        public_url: str | None = None,
    ) -> None:
        self.store = store
        self.settings = settings
        self.public_url = public_url  # set once the web server's address is known
        self.clock = clock
        self._jobs = ShareJobs(store, scheduler, outbox, settings, clock)
        self.pins = PinLockout(store.engine, clock)  # the viewer's PIN attempts
        self._lock = asyncio.Lock()  # one change at a time: two shares must not race

    async def resume(self) -> int:
        return await self._jobs.resume()

    def link_url(self, token: str) -> str:
        if not self.public_url:
            raise RuntimeError("the web server's public URL is not known yet")
        return f"{self.public_url.rstrip('/')}/s/{token}"

    async def share(
        self,
        cameras: Sequence[CameraFacts],
        email: str,
        *,
        actor: str,
        place: Place | None,
        name: str | None = None,
        reason: str | None = None,
        pin: bool = False,
    ) -> NewLink:
        """Share the cameras with `email`; the command has already refused an address that is
        not one and a name or reason too long for its column (bot.commands.shares)."""
        email = normalise_email(email)
        token, code = new_token(), new_pin() if pin else None
        url = self.link_url(token)  # before anything is stored: fails without a web server
        hashed_pin = await asyncio.to_thread(pin_hash, code) if code else None
        async with self._lock:
            now = self.clock()
            expires = now + self.settings.expiry
            active = await self.store.shares(email=email, active_at=now)
            shared = {s.serial for s in active}
            added = [
                Share(
                    id=uuid.uuid4().hex,
                    email=email,
                    camera=camera,
                    recipient_name=name,
                    reason=reason,
                    created_at=now,
                    created_by=actor,
                    place=place.to_json() if place else None,
                    expires_at=expires,
                    reminded_for=None,
                    ended_at=None,
                    end_reason=None,
                )
                for camera in _unique(cameras)
                if camera.serial not in shared
            ]
            link = Link(
                id=uuid.uuid4().hex,
                email=email,
                token_hash=token_hash(token),
                pin_hash=hashed_pin,
                created_at=now,
                created_by=actor,
                disabled_at=None,
            )
            detail = _detail(name, reason, code is not None)
            entries = [
                AccessEntry.by(actor, now, AccessEvent.GENERATED, email, camera, detail)
                for camera in _unique(cameras)
            ]
            await self.store.create(link, added, [s.id for s in active], expires, entries)
            every = [replace(s, expires_at=expires, reminded_for=None) for s in active] + added
            for share in every:
                self._jobs.arm(share)
        return NewLink(url, code, email, tuple(every), tuple(added), expires)

    async def extend(self, email: str, by: timedelta, *, actor: str) -> list[Share]:
        email = normalise_email(email)
        async with self._lock:
            now = self.clock()
            active = await self.store.shares(email=email, active_at=now)
            if not active:
                raise NoActiveShare(f"{email} has no active stream to extend.")
            extended = [replace(s, expires_at=s.expires_at + by, reminded_for=None) for s in active]
            entries = [
                AccessEntry.by(
                    actor,
                    now,
                    AccessEvent.EXTENDED,
                    email,
                    s.camera,
                    f"+{_hours(by)} until {iso_utc(s.expires_at)}",
                )
                for s in extended
            ]
            await self.store.extend({s.id: s.expires_at for s in extended}, entries)
            for share in extended:
                self._jobs.arm(share)
        return extended

    async def revoke(self, email: str, serial: str | None, *, actor: str) -> list[Share]:
        """End one camera's stream for the e-mail, or all of them (`serial` None)."""
        email = normalise_email(email)
        async with self._lock:
            now = self.clock()
            active = await self.store.shares(email=email, active_at=now)
            ending = [s for s in active if serial is None or s.serial == serial]
            if not ending:
                raise NoActiveShare(
                    f"{email} has no active stream"
                    + ("." if serial is None else " of that camera.")
                )
            entries = [
                AccessEntry.by(actor, now, AccessEvent.DISABLED, email, s.camera, "revoked")
                for s in ending
            ]
            emails = [email] if len(ending) == len(active) else []
            await self.store.end([s.id for s in ending], now, EndReason.REVOKED, entries, emails)
            for share in ending:
                self._jobs.disarm(share)
        await self._jobs.notify_ended()
        return [replace(s, ended_at=now, end_reason=EndReason.REVOKED) for s in ending]

    async def wait_ended(self, email: str, timeout: float) -> bool:  # noqa: ASYNC109
        """Wait until none of the e-mail's shares is left to revoke or expire (its expiry
        jobs have run); False if `timeout` seconds pass first."""
        email = normalise_email(email)
        try:
            async with asyncio.timeout(timeout), self._jobs.ended:
                while await self.store.shares(email=email, unended=True):
                    await self._jobs.ended.wait()
        except TimeoutError:
            return False
        return True

    async def active(self, *, email: str | None = None, serial: str | None = None) -> list[Share]:
        email = normalise_email(email) if email else None
        return await self.store.shares(email=email, serial=serial, active_at=self.clock())

    async def grant(self, token: str) -> Grant | None:
        """What `token` reaches now; None for a token that was never handed out."""
        if not looks_like_token(token):
            return None
        link = await self.store.link(token_hash(token))
        if link is None:
            return None
        now = self.clock()
        every = await self.store.shares(email=link.email)
        if link.disabled_at is not None:
            return Grant(link, (), tuple(every))
        active = tuple(s for s in every if s.active(now))
        return Grant(link, active, tuple(s for s in every if not s.active(now)))

    async def viewed(
        self, grant: Grant, share: Share, client_address: str | None, user_agent: str | None
    ) -> None:
        entry = AccessEntry(
            at=self.clock(),
            event=AccessEvent.VIEWED,
            email=grant.link.email,
            serial=share.serial,
            camera=share.camera.name,
            client_address=client_address,
            user_agent=user_agent,
        )
        await self.store.log([entry])


def normalise_email(email: str) -> str:
    return email.strip().lower()


def _unique(cameras: Sequence[CameraFacts]) -> list[CameraFacts]:
    seen: dict[str, CameraFacts] = {}
    for camera in cameras:
        seen.setdefault(camera.serial, camera)
    return list(seen.values())


def _hours(length: timedelta) -> str:
    hours = length.total_seconds() / 3600
    return f"{hours:g} h"


def _detail(name: str | None, reason: str | None, pin: bool) -> str | None:
    parts = [f"name: {name}" if name else "", f"reason: {reason}" if reason else ""]
    parts.append("with PIN" if pin else "")
    return "; ".join(p for p in parts if p) or None
