"""What arrives from Webex: signed deliveries only, and the command without the bot's mention."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware

from adapters.webex.inbound import place_of
from adapters.webex.mentions import Identity, canonical_id, command_text
from adapters.webex.transport import events_route, valid_signature
from bot.web.bodies import BodyLimit
from tests.fake_webex import webex_id

BOT = Identity(webex_id("PEOPLE", "0b7e-bot"), "MV Bot", ("mvbot@webex.bot",))
ANN = webex_id("PEOPLE", "ann")
SECRET = b"s3cret-for-webhooks"


def mention(person_id: str, name: str) -> str:
    return (
        f'<spark-mention data-object-type="person" data-object-id="{person_id}">'
        f"{name}</spark-mention>"
    )


@pytest.mark.parametrize(
    ("text", "html", "expected"),
    [
        # The html names the bot by id: that mention goes, whatever the text says.
        (
            "MV Bot clip lobby 10m ago 2m",
            f"<p>{mention(BOT.id, 'MV Bot')} clip lobby 10m ago 2m</p>",
            "clip lobby 10m ago 2m",
        ),
        # The id in html may be the bare UUID rather than the API's base64 form.
        ("MV clip lobby", f"<p>{mention('0B7E-BOT', 'MV')} clip lobby</p>", "clip lobby"),
        # Another person's mention stays part of the command (e.g. an e-mail share).
        (
            "MV Bot share lobby with Ann",
            f"{mention(BOT.id, 'MV Bot')} share lobby with {mention(ANN, 'Ann')}",
            "share lobby with Ann",
        ),
        # html entities are text again; line breaks are spaces.
        ("x", f"{mention(BOT.id, 'MV Bot')} snapshot<br/>dock &amp; yard", "snapshot dock & yard"),
        # Without html, the display name (or the first name people shorten it to) goes.
        ("MV Bot cameras", None, "cameras"),
        ("mv cameras", None, "cameras"),
        ("@MV Bot, help", None, "help"),
        ("MVP cameras", None, "MVP cameras"),
    ],
)
def test_the_bots_mention_is_stripped_in_a_group_space(
    text: str, html: str | None, expected: str
) -> None:
    assert command_text(text, html, BOT, group=True) == expected


def test_in_a_direct_space_the_text_is_the_command() -> None:
    assert command_text("mv bot cameras", None, BOT, group=False) == "mv bot cameras"


def test_ids_compare_in_either_form() -> None:
    assert canonical_id(webex_id("PEOPLE", "AbC-1")) == "abc-1" == canonical_id("ABC-1")


def test_answers_go_to_the_thread_or_under_the_command_in_a_group_space() -> None:
    top = {"id": "m1", "roomId": "r", "roomType": "group"}
    threaded = {**top, "parentId": "m0"}
    direct = {"id": "m2", "roomId": "d", "roomType": "direct"}
    assert (place_of(top).thread_id, place_of(threaded).thread_id) == ("m1", "m0")
    assert place_of(direct).thread_id is None and place_of(direct).direct


def sign(body: bytes, secret: bytes = SECRET) -> str:
    return hmac.new(secret, body, hashlib.sha1).hexdigest()


def test_the_signature_is_hex_hmac_sha1_of_the_raw_body() -> None:
    body = b'{"resource":"messages","data":{"id":"m1"}}'
    good = sign(body)
    assert valid_signature(body, good, SECRET)
    assert valid_signature(body, good.upper(), SECRET)
    assert not valid_signature(body + b" ", good, SECRET)
    assert not valid_signature(body, sign(body, b"other"), SECRET)
    assert not valid_signature(body, None, SECRET)
    assert not valid_signature(body, "", SECRET)
    assert not valid_signature(body, "é" * 40, SECRET)


async def test_the_route_runs_nothing_for_a_bad_signature() -> None:
    accepted: list[Mapping[str, Any]] = []

    async def accept(delivery: Mapping[str, Any]) -> bool:
        accepted.append(delivery)
        return True

    # As in mvbot's web app, where BodyLimit holds every route to its cap (bot.web.factory).
    routes = [events_route(SECRET, accept)]
    app = Starlette(routes=routes, middleware=[Middleware(BodyLimit, routes=routes)])
    body = json.dumps({"resource": "messages", "event": "created", "data": {"id": "m1"}}).encode()
    transport = httpx.ASGITransport(app)
    async with httpx.AsyncClient(transport=transport, base_url="http://mvbot") as client:
        for headers in ({}, {"X-Spark-Signature": sign(body, b"wrong")}):
            response = await client.post("/webex/events", content=body, headers=headers)
            assert response.status_code == 401
        assert accepted == []
        garbage = b"not json"
        bad = await client.post(
            "/webex/events", content=garbage, headers={"X-Spark-Signature": sign(garbage)}
        )
        assert bad.status_code == 400
        huge = b" " * 300_000
        too_big = await client.post(
            "/webex/events", content=huge, headers={"X-Spark-Signature": sign(huge)}
        )
        assert too_big.status_code == 413
        ok = await client.post(
            "/webex/events", content=body, headers={"X-Spark-Signature": sign(body)}
        )
        assert ok.status_code == 200
    assert accepted == [json.loads(body)]
