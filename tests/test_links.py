from pathlib import Path

import httpx
import pytest

from bot.telemetry.metrics import Metrics
from bot.web import create_app
from bot.web.links import FileLinks
from bot.web.server import web_server


@pytest.fixture
def media(tmp_path: Path) -> Path:
    root = tmp_path / "media"
    root.mkdir()
    (root / "lobby.mp4").write_bytes(b"\x00" * 1000)
    (tmp_path / "secret.txt").write_text("not for you")
    return root


def test_a_link_resolves_until_it_expires(media: Path) -> None:
    links = FileLinks(b"k" * 32, "https://bot.example.com/", media, ttl=60)
    url = links.url_for(media / "lobby.mp4", now=1000)
    assert url.startswith("https://bot.example.com/files/") and url.endswith("/lobby.mp4")
    token = url.split("/")[-2]
    assert links.resolve(token, now=1059) == (media / "lobby.mp4").resolve()
    assert links.resolve(token, now=1061) is None


def test_a_forged_or_foreign_token_reaches_nothing(media: Path) -> None:
    links = FileLinks(b"k" * 32, "http://x", media)
    token = links.url_for(media / "lobby.mp4").split("/")[-2]
    body, _, signature = token.partition(".")
    assert links.resolve(f"{body}.{signature[:-2]}xx") is None
    other = FileLinks(b"z" * 32, "http://x", media)
    assert other.resolve(token) is None
    with pytest.raises(ValueError):
        links.url_for(media.parent / "secret.txt")


async def test_files_are_served_over_http_by_signed_link(media: Path) -> None:
    async def health() -> dict[str, str]:
        return {}

    links = FileLinks(b"k" * 32, "http://placeholder", media)
    app = create_app(metrics=Metrics(), health=health, links=links)
    async with web_server(app, "127.0.0.1", 0) as server, httpx.AsyncClient() as client:
        path = links.url_for(media / "lobby.mp4").removeprefix("http://placeholder")
        ok = await client.get(server.url + path)
        assert ok.status_code == 200 and len(ok.content) == 1000
        assert ok.headers["content-type"] == "video/mp4"
        assert "no-store" in ok.headers["cache-control"]
        gone = await client.get(server.url + "/files/bogus.token/lobby.mp4")
        assert gone.status_code == 410
