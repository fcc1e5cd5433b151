"""Share links by e-mail: mvbot's SMTP client against a local SMTP server (plain, STARTTLS,
implicit TLS, authentication), and the `share` command mailing the recipient."""

from __future__ import annotations

import shutil
import ssl
import subprocess
from pathlib import Path

import pytest

from bot.shares.mail import Email, Mailer, MailError
from tests.bot_fixtures import bot_simulator_fixture  # noqa: F401
from tests.share_fixtures import (  # noqa: F401
    ShareStarter,
    share_starter_fixture,
    sqlite_database_fixture,
    token_in,
)
from tests.smtp_server import smtp_server

SENDER = "mvbot@example.com"
PASSWORD = "p@ss:word/1"  # characters that must be escaped in a URL
USER_URL = "bot%40example.com:p%40ss%3Aword%2F1"


@pytest.fixture(name="tls")
def tls_fixture(tmp_path: Path) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """(server context, client context trusting it) for a throw-away certificate."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True,
        capture_output=True,
    )  # fmt: skip
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(cert, key)
    return server, ssl.create_default_context(cafile=str(cert))


MESSAGE = Email(
    "guest@example.com", "Live camera stream - Lobby", "Watch: https://x/s/abc", "<p>x</p>"
)


async def test_plain_smtp_delivers_text_and_html() -> None:
    async with smtp_server() as server:
        await Mailer(server.url, SENDER).send(MESSAGE)
        [received] = await server.wait_for(1, timeout=5)
    assert received.recipients == ("guest@example.com",) and received.sender == SENDER
    assert received.message["Subject"] == "Live camera stream - Lobby"
    body = received.message.get_body(("plain",))
    assert body is not None and "https://x/s/abc" in body.get_content()
    assert received.message.get_body(("html",)) is not None


async def test_starttls_is_used_when_offered_and_the_login_is_sent_over_it(
    tls: tuple[ssl.SSLContext, ssl.SSLContext],
) -> None:
    server_context, client_context = tls
    async with smtp_server(
        starttls=server_context, credentials=("bot@example.com", PASSWORD)
    ) as server:
        url = server.url.replace("//", f"//{USER_URL}@")
        await Mailer(url, SENDER, ssl_context=client_context).send(MESSAGE)
        [received] = await server.wait_for(1, timeout=5)
    assert received.tls and received.user == "bot@example.com"


async def test_smtps_speaks_tls_from_the_start(tls: tuple[ssl.SSLContext, ssl.SSLContext]) -> None:
    server_context, client_context = tls
    async with smtp_server(implicit_tls=server_context) as server:
        assert server.url.startswith("smtps://")
        await Mailer(server.url, SENDER, ssl_context=client_context).send(MESSAGE)
        [received] = await server.wait_for(1, timeout=5)
    assert received.tls


async def test_a_refused_login_says_so_without_the_password() -> None:
    async with smtp_server(credentials=("bot@example.com", "right")) as server:
        url = server.url.replace("//", f"//{USER_URL}@")
        with pytest.raises(MailError) as refused:
            await Mailer(url, SENDER).send(MESSAGE)
    assert "user name or password" in str(refused.value)
    assert PASSWORD not in str(refused.value) and "p%40ss" not in str(refused.value)
    assert PASSWORD not in repr(Mailer(url, SENDER))


async def test_share_emails_the_recipient_their_link(share_starter: ShareStarter) -> None:
    async with smtp_server() as server:
        smtp = {"url": server.url, "sender": SENDER}
        async with share_starter(smtp=smtp) as shared:
            replies = await shared.ask('share lobby with guest@example.com reason "night shift"')
            token = token_in(replies)
            assert "e-mailed" in replies[-1].text
            [received] = await server.wait_for(1, timeout=5)
    assert received.recipients == ("guest@example.com",)
    assert "Lobby" in received.message["Subject"]
    text = received.message.get_body(("plain",))
    assert text is not None
    content = text.get_content()
    assert f"/s/{token}" in content and "night shift" in content
