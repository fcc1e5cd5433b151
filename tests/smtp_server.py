"""A small SMTP server for tests: EHLO, optional STARTTLS or implicit TLS, AUTH PLAIN and
LOGIN, MAIL/RCPT/DATA. It keeps every message it accepted, and how it arrived."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import email
import email.policy
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from email.message import EmailMessage


@dataclass(frozen=True)
class Received:
    sender: str
    recipients: tuple[str, ...]
    message: EmailMessage
    tls: bool
    user: str | None


@dataclass
class SmtpServer:
    """Listens on a free loopback port; `url` is what mvbot's MVBOT_SMTP_URL would say."""

    port: int
    implicit_tls: bool
    messages: list[Received] = field(default_factory=list)
    arrived: asyncio.Condition = field(default_factory=asyncio.Condition)

    @property
    def url(self) -> str:
        return f"{'smtps' if self.implicit_tls else 'smtp'}://127.0.0.1:{self.port}"

    async def wait_for(self, count: int, timeout: float) -> list[Received]:  # noqa: ASYNC109
        async with asyncio.timeout(timeout), self.arrived:
            await self.arrived.wait_for(lambda: len(self.messages) >= count)
        return self.messages


@dataclass
class _Session:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    tls: bool
    user: str | None = None
    sender: str | None = None
    recipients: list[str] = field(default_factory=list)

    async def say(self, line: str) -> None:
        self.writer.write(line.encode() + b"\r\n")
        await self.writer.drain()

    async def line(self) -> str:
        return (await self.reader.readline()).decode(errors="replace").rstrip("\r\n")


@contextlib.asynccontextmanager
async def smtp_server(
    *,
    starttls: ssl.SSLContext | None = None,
    implicit_tls: ssl.SSLContext | None = None,
    credentials: tuple[str, str] | None = None,
) -> AsyncIterator[SmtpServer]:
    """Serve until the block ends. With `credentials`, mail is accepted only after AUTH."""
    state: SmtpServer | None = None

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        assert state is not None
        session = _Session(reader, writer, tls=implicit_tls is not None)
        try:
            await _converse(state, session, starttls, credentials)
        except (ConnectionError, asyncio.IncompleteReadError, ssl.SSLError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError, ssl.SSLError):
                await writer.wait_closed()

    server = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=implicit_tls)
    state = SmtpServer(server.sockets[0].getsockname()[1], implicit_tls is not None)
    async with server:
        yield state
        server.close()


async def _converse(
    state: SmtpServer,
    session: _Session,
    starttls: ssl.SSLContext | None,
    credentials: tuple[str, str] | None,
) -> None:
    await session.say("220 test.smtp ESMTP ready")
    while True:
        line = await session.line()
        verb, _, rest = line.partition(" ")
        verb = verb.upper()
        if verb == "EHLO":
            extensions = ["250-test.smtp", "250-8BITMIME"]
            if starttls is not None and not session.tls:
                extensions.append("250-STARTTLS")
            if credentials is not None:
                extensions.append("250-AUTH PLAIN LOGIN")
            extensions.append("250 SMTPUTF8")
            for extension in extensions:
                await session.say(extension)
        elif verb == "HELO" or verb == "NOOP":
            await session.say("250 ok")
        elif verb == "STARTTLS" and starttls is not None and not session.tls:
            await session.say("220 go ahead")
            await session.writer.start_tls(starttls)
            session.tls = True
        elif verb == "AUTH" and credentials is not None:
            await _authenticate(session, rest, credentials)
        elif verb == "MAIL":
            if credentials is not None and session.user is None:
                await session.say("530 authentication required")
                continue
            session.sender = rest.partition(":")[2].strip().strip("<>").split(" ")[0]
            session.recipients = []
            await session.say("250 ok")
        elif verb == "RCPT":
            session.recipients.append(rest.partition(":")[2].strip().strip("<>"))
            await session.say("250 ok")
        elif verb == "DATA":
            await session.say("354 end with <CRLF>.<CRLF>")
            data = await _data(session)
            message = email.message_from_bytes(data, policy=email.policy.default)
            assert isinstance(message, EmailMessage)
            received = Received(
                session.sender or "",
                tuple(session.recipients),
                message,
                session.tls,
                session.user,
            )
            async with state.arrived:
                state.messages.append(received)
                state.arrived.notify_all()
            await session.say("250 queued")
        elif verb == "RSET":
            session.sender, session.recipients = None, []
            await session.say("250 ok")
        elif verb == "QUIT":
            await session.say("221 bye")
            return
        elif not line:
            return
        else:
            await session.say("502 not implemented")


async def _authenticate(session: _Session, rest: str, credentials: tuple[str, str]) -> None:
    mechanism, _, initial = rest.partition(" ")
    if mechanism.upper() == "PLAIN":
        if not initial:
            await session.say("334 ")
            initial = await session.line()
        _, user, password = base64.b64decode(initial).decode().split("\0")
    elif mechanism.upper() == "LOGIN":
        await session.say("334 " + base64.b64encode(b"Username:").decode())
        user = base64.b64decode(await session.line()).decode()
        await session.say("334 " + base64.b64encode(b"Password:").decode())
        password = base64.b64decode(await session.line()).decode()
    else:
        await session.say("504 unknown mechanism")
        return
    if (user, password) == credentials:
        session.user = user
        await session.say("235 authenticated")
    else:
        await session.say("535 authentication failed")


async def _data(session: _Session) -> bytes:
    lines: list[bytes] = []
    while True:
        raw = await session.reader.readline()
        if raw in (b".\r\n", b".\n", b""):
            return b"".join(lines)
        lines.append(raw[1:] if raw.startswith(b"..") else raw)
