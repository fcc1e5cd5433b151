"""Outgoing e-mail (share links): smtp:// with STARTTLS when the server offers it, or smtps://.

smtplib is blocking, so each message is sent in a worker thread. Error messages never
repeat the URL, which may carry a password.
"""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from dataclasses import dataclass
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from urllib.parse import unquote, urlsplit

DEFAULT_PORTS = {"smtp": 25, "smtps": 465}


class MailError(Exception):
    """An e-mail could not be handed to the SMTP server; the message says why, for people."""


@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    text: str
    html: str | None = None


class Mailer:
    """Sends e-mail through one SMTP server, given as smtp://[user:pass@]host[:port] or smtps://."""

    def __init__(
        self,
        url: str,
        sender: str,
        *,
        timeout: float = 30.0,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        parts = urlsplit(url)
        self._scheme = parts.scheme.lower()
        if self._scheme not in DEFAULT_PORTS or not parts.hostname:
            raise ValueError("the SMTP URL must be smtp://host[:port] or smtps://host[:port]")
        self._host = parts.hostname
        self._port = parts.port or DEFAULT_PORTS[self._scheme]
        self._user = unquote(parts.username) if parts.username else None
        self._password = unquote(parts.password) if parts.password else ""
        self._sender = sender
        self._timeout = timeout
        self._context = ssl_context or ssl.create_default_context()

    def __repr__(self) -> str:
        return f"Mailer({self._scheme}://{self._host}:{self._port})"

    async def send(self, email: Email) -> None:
        await asyncio.to_thread(self._send, self._message(email))

    def _message(self, email: Email) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self._sender
        try:
            # Built by the email package, which refuses what is not one address (a list,
            # a header injection), where assigning the text would pass it on as written.
            message["To"] = Address(addr_spec=email.to)
        except (ValueError, HeaderParseError):
            raise MailError(f"'{email.to}' is not one e-mail address") from None
        message["Subject"] = email.subject
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = make_msgid(domain=self._sender.rpartition("@")[2] or None)
        message.set_content(email.text)
        if email.html is not None:
            message.add_alternative(email.html, subtype="html")
        return message

    def _send(self, message: EmailMessage) -> None:
        try:
            with self._connect() as client:
                client.send_message(message)
        except smtplib.SMTPRecipientsRefused:
            raise MailError(f"the mail server refused the address {message['To']}") from None
        except smtplib.SMTPAuthenticationError:
            raise MailError("the mail server refused mvbot's user name or password") from None
        except (smtplib.SMTPException, ssl.SSLError, OSError) as error:
            raise MailError(f"the mail server could not be reached or refused ({error})") from None

    def _connect(self) -> smtplib.SMTP:
        client: smtplib.SMTP
        if self._scheme == "smtps":
            client = smtplib.SMTP_SSL(
                self._host, self._port, timeout=self._timeout, context=self._context
            )
            client.ehlo()
        else:
            client = smtplib.SMTP(self._host, self._port, timeout=self._timeout)
            client.ehlo()
            if client.has_extn("starttls"):
                client.starttls(context=self._context)
                client.ehlo()
        try:
            if self._user is not None:
                client.login(self._user, self._password)
        except BaseException:
            client.close()
            raise
        return client
