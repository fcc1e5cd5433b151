"""A property-based fuzz of every public route: random methods, paths, headers, encodings,
bodies and sizes never get a 5xx and never change anything without authentication.

CI runs a few examples from a fixed seed; a larger run is by hand:
    MVBOT_TEST_FUZZ_EXAMPLES=2000 pytest tests/test_edges_fuzz.py
(with MVBOT_TEST_FUZZ_SEED=<n> for another sequence).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from bot.web.viewer.routes import MAX_FORM
from tests.bot_fixtures import bot_simulator_fixture  # noqa: F401
from tests.edge_fixtures import GET_ROUTES, POST_ROUTES, Edge, edge_fixture  # noqa: F401
from tests.fake_webex import fake_webex_fixture  # noqa: F401
from tests.share_fixtures import sqlite_database_fixture  # noqa: F401

EXAMPLES = int(os.environ.get("MVBOT_TEST_FUZZ_EXAMPLES", "300"))
SEED = int(os.environ.get("MVBOT_TEST_FUZZ_SEED", "13"))
# Every answer here is immediate; a request still unanswered after this hangs.
ANSWER_WITHIN = 15.0
SMALLEST_CAP = MAX_FORM  # the PIN form's: every other route reads at least this much

METHODS = ("GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH")
HEADER_NAMES = (
    "content-type",
    "content-encoding",
    "content-length",
    "x-slack-signature",
    "x-slack-request-timestamp",
    "x-spark-signature",
    "x-mvbot-signature",
    "authorization",
    "cookie",
    "user-agent",
    "x-forwarded-for",
    "x-forwarded-proto",
    "range",
    "accept-encoding",
)
# Header values may be any bytes HTTP allows: no control characters, any of 0x80–0xff.
header_bytes = st.binary(max_size=80).map(
    lambda raw: bytes(b for b in raw if b >= 0x20 and b != 0x7F).strip()
)
header_values = st.one_of(
    header_bytes,
    st.sampled_from(
        [
            b"application/json",
            b"application/x-www-form-urlencoded",
            b"gzip",
            b"v0=" + b"0" * 64,
            b"sha256=" + b"f" * 64,
            b"Bearer x",
            b"mvbot_pin=" + b"A" * 40,
            b"bytes=0-",
            b"-1",
            b"99999999999999999999",
            "é".encode(),
        ]
    ),
    st.integers(min_value=-(10**20), max_value=10**20).map(lambda n: str(n).encode()),
)
headers = st.dictionaries(st.sampled_from(HEADER_NAMES), header_values, max_size=8)

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=40)
    | st.sampled_from(["lobby", "2100-01-01T00:00:00+00:00", "9999-12-31T23:59:59-05:00"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner),
    max_leaves=20,
)
event_like = st.fixed_dictionaries(
    {},
    optional={
        key: json_values
        for key in (
            "sharedSecret",
            "deviceSerial",
            "alertTypeId",
            "occurredAt",
            "alertData",
            "camera",
            "time",
            "title",
            "rooms",
            "details",
            "pre_roll",
            "post_roll",
        )
    },
)


@dataclass(frozen=True)
class Repeated:
    """A large body, shown by its recipe: hypothesis reports falsifying examples by repr."""

    unit: bytes
    count: int

    @property
    def data(self) -> bytes:
        return self.unit * self.count


bodies = st.one_of(
    st.binary(max_size=2048),
    json_values.map(lambda value: json.dumps(value).encode()),
    event_like.map(lambda value: json.dumps(value).encode()),
    st.text(max_size=200).map(lambda text: ("pin=" + quote(text)).encode()),
    st.text(max_size=200).map(lambda text: text.encode("utf-8", "surrogatepass")),
    st.builds(Repeated, st.sampled_from([b"{", b"[", b"A", b'{"a":']), st.integers(0, 300_000)),
)
path_text = st.one_of(
    st.text(max_size=60),
    st.sampled_from(["", ".", "..", "-", "t" * 43, "Q2FV-LBBY-0001", "%00", "a/b", "é"]),
)


@st.composite
def requests(draw: st.DrawFn) -> tuple[str, str]:
    """(method, path): a POST route is mostly POSTed to, so its body handling is reached."""
    template = draw(st.sampled_from([*POST_ROUTES, *GET_ROUTES, "/", "/{name}"]))
    posted = template in POST_ROUTES and draw(st.integers(0, 3)) > 0
    method = "POST" if posted else draw(st.sampled_from(METHODS))
    for name in ("token", "serial", "seq", "name"):
        while "{" + name + "}" in template:
            template = template.replace("{" + name + "}", quote(draw(path_text), safe=""), 1)
    query = draw(st.text(max_size=40))
    return method, template + (f"?{quote(query, safe='=&')}" if query else "")


@seed(SEED)
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(request=requests(), sent=headers, body=bodies)
async def test_no_input_gets_a_5xx_or_changes_anything(
    edge: Edge, request: tuple[str, str], sent: dict[str, bytes], body: bytes | Repeated
) -> None:
    method, path = request
    before = await edge.row_counts()
    data = body.data if isinstance(body, Repeated) else body
    # content-length is set by the client from the body; a contradicting one is h11's to refuse.
    given_headers: dict[str, Any] = {k: v for k, v in sent.items() if k != "content-length"}
    try:
        response = await edge.http.request(
            method, path, headers=given_headers, content=data, timeout=ANSWER_WITHIN
        )
    except httpx.TimeoutException:
        raise AssertionError(f"no answer within {ANSWER_WITHIN} s: {method} {path}") from None
    except httpx.TransportError:
        # A body past the route's cap is answered 413 and the connection closed while the
        # client may still be writing: it sees the close, not the answer. Nothing else may.
        assert len(data) > SMALLEST_CAP, (method, path)
        assert (await edge.http.get("/healthz")).status_code == 200
    else:
        assert response.status_code < 500, (method, path, sent, response.text[:300])
    assert await edge.row_counts() == before
