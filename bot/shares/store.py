"""The share tables in the bot's database: each change is one transaction, run in a thread."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, Row, insert, select, update

from bot.shares.model import AccessEntry, AccessEvent, CameraFacts, EndReason, Link, Share
from bot.shares.tables import share_access, share_links, shares
from bot.store.work import fetch, transact

_USER_AGENT_LIMIT = 512


class ShareStore:
    """Links, shares and the access log. Every method may be awaited from the event loop."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    @property
    def engine(self) -> Engine:
        return self._engine

    # Reading ------------------------------------------------------------------------------

    async def link(self, token_hash: str) -> Link | None:
        query = select(share_links).where(share_links.c.token_hash == token_hash)
        rows = await fetch(self._engine, query)
        return _to_link(rows[0]) if rows else None

    async def shares(
        self,
        *,
        email: str | None = None,
        serial: str | None = None,
        active_at: datetime | None = None,
        unended: bool = False,
    ) -> list[Share]:
        """Shares in the order they were made; `active_at` keeps those active at that moment,
        `unended` those neither revoked nor expired by the expiry job (yet)."""
        query = select(shares).order_by(shares.c.created_at, shares.c.camera_name, shares.c.id)
        if email is not None:
            query = query.where(shares.c.email == email)
        if serial is not None:
            query = query.where(shares.c.serial == serial)
        if active_at is not None:
            query = query.where(shares.c.ended_at.is_(None), shares.c.expires_at > active_at)
        if unended:
            query = query.where(shares.c.ended_at.is_(None))
        return [_to_share(row) for row in await fetch(self._engine, query)]

    async def share(self, share_id: str) -> Share | None:
        rows = await fetch(self._engine, select(shares).where(shares.c.id == share_id))
        return _to_share(rows[0]) if rows else None

    async def access_rows(
        self,
        *,
        email: str | None = None,
        serial: str | None = None,
        since: datetime | None = None,
        limit: int = 50,
    ) -> list[AccessEntry]:
        """The newest rows first."""
        query = select(share_access).order_by(share_access.c.id.desc()).limit(limit)
        if email is not None:
            query = query.where(share_access.c.email == email)
        if serial is not None:
            query = query.where(share_access.c.serial == serial)
        if since is not None:
            query = query.where(share_access.c.at >= since)
        return [_to_entry(row) for row in await fetch(self._engine, query)]

    # Changing -----------------------------------------------------------------------------

    async def create(
        self,
        link: Link,
        added: Sequence[Share],
        reset: Sequence[str],
        expires_at: datetime,
        entries: Sequence[AccessEntry],
    ) -> None:
        """A new link and shares; the e-mail's other active shares (`reset`) move to
        `expires_at` too, with their reminder owed again. With nothing to reset, links given
        out before for this e-mail are disabled: they never come back to life."""

        def work(connection: Connection) -> None:
            if not reset:
                _disable_links(connection, [link.email], link.created_at)
            connection.execute(insert(share_links).values(_link_values(link)))
            for share in added:
                connection.execute(insert(shares).values(_share_values(share)))
            if reset:
                connection.execute(
                    update(shares)
                    .where(shares.c.id.in_(list(reset)))
                    .values(expires_at=expires_at, reminded_for=None)
                )
            _log(connection, entries)

        await transact(self._engine, work)

    async def extend(
        self, expiries: Mapping[str, datetime], entries: Sequence[AccessEntry]
    ) -> None:
        def work(connection: Connection) -> None:
            for share_id, expires_at in expiries.items():
                connection.execute(
                    update(shares)
                    .where(shares.c.id == share_id)
                    .values(expires_at=expires_at, reminded_for=None)
                )
            _log(connection, entries)

        await transact(self._engine, work)

    async def end(
        self,
        ids: Sequence[str],
        at: datetime,
        reason: EndReason,
        entries: Sequence[AccessEntry],
        disable_links_of: Iterable[str] = (),
    ) -> None:
        """End shares (revoked or expired); links of e-mails left with nothing are disabled,
        so that a later share to the same e-mail never revives a link given out before."""

        def work(connection: Connection) -> None:
            connection.execute(
                update(shares)
                .where(shares.c.id.in_(list(ids)), shares.c.ended_at.is_(None))
                .values(ended_at=at, end_reason=reason.value)
            )
            _disable_links(connection, list(disable_links_of), at)
            _log(connection, entries)

        await transact(self._engine, work)

    async def mark_reminded(self, ids: Sequence[str], expires_at: datetime) -> None:
        def work(connection: Connection) -> None:
            connection.execute(
                update(shares).where(shares.c.id.in_(list(ids))).values(reminded_for=expires_at)
            )

        await transact(self._engine, work)

    async def log(self, entries: Sequence[AccessEntry]) -> None:
        await transact(self._engine, lambda connection: _log(connection, entries))


def _disable_links(connection: Connection, emails: list[str], at: datetime) -> None:
    if emails:
        connection.execute(
            update(share_links)
            .where(share_links.c.email.in_(emails), share_links.c.disabled_at.is_(None))
            .values(disabled_at=at)
        )


def _log(connection: Connection, entries: Sequence[AccessEntry]) -> None:
    for entry in entries:
        connection.execute(
            insert(share_access).values(
                at=entry.at,
                event=entry.event.value,
                email=entry.email,
                serial=entry.serial,
                camera=entry.camera,
                client_address=entry.client_address,
                user_agent=(entry.user_agent or "")[:_USER_AGENT_LIMIT] or None,
                actor=entry.actor,
                detail=entry.detail,
            )
        )


def _link_values(link: Link) -> dict[str, Any]:
    return {
        "id": link.id,
        "email": link.email,
        "token_hash": link.token_hash,
        "pin_hash": link.pin_hash,
        "created_at": link.created_at,
        "created_by": link.created_by,
        "disabled_at": link.disabled_at,
    }


def _share_values(share: Share) -> dict[str, Any]:
    camera = share.camera
    return {
        "id": share.id,
        "email": share.email,
        "serial": camera.serial,
        "camera_name": camera.name,
        "model": camera.model,
        "network_name": camera.network_name,
        "org_name": camera.org_name,
        "address": camera.address,
        "recipient_name": share.recipient_name,
        "reason": share.reason,
        "created_at": share.created_at,
        "created_by": share.created_by,
        "place": share.place,
        "expires_at": share.expires_at,
        "reminded_for": share.reminded_for,
        "ended_at": share.ended_at,
        "end_reason": share.end_reason.value if share.end_reason else None,
    }


def _to_link(row: Row[Any]) -> Link:
    return Link(
        id=row.id,
        email=row.email,
        token_hash=row.token_hash,
        pin_hash=row.pin_hash,
        created_at=row.created_at,
        created_by=row.created_by,
        disabled_at=row.disabled_at,
    )


def _to_share(row: Row[Any]) -> Share:
    return Share(
        id=row.id,
        email=row.email,
        camera=CameraFacts(
            serial=row.serial,
            name=row.camera_name,
            model=row.model,
            network_name=row.network_name,
            org_name=row.org_name,
            address=row.address,
        ),
        recipient_name=row.recipient_name,
        reason=row.reason,
        created_at=row.created_at,
        created_by=row.created_by,
        place=row.place,
        expires_at=row.expires_at,
        reminded_for=row.reminded_for,
        ended_at=row.ended_at,
        end_reason=EndReason(row.end_reason) if row.end_reason else None,
    )


def _to_entry(row: Row[Any]) -> AccessEntry:
    return AccessEntry(
        at=row.at,
        event=AccessEvent(row.event),
        email=row.email,
        serial=row.serial,
        camera=row.camera,
        client_address=row.client_address,
        user_agent=row.user_agent,
        actor=row.actor,
        detail=row.detail,
    )
