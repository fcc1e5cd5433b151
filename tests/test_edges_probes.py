"""Hostile-input probes (issue 13): each was a 5xx, a traceback or a loose acceptance before.

Every public route answers what a client can send with a 4xx and a one-line reason, and
stores nothing it refuses; values sized to the database's columns are refused before
PostgreSQL would refuse them mid-transaction.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from bot.events.hooks import SIGNATURE_HEADER, sign
from bot.messages import Tone
from tests.bot_fixtures import bot_simulator_fixture  # noqa: F401
from tests.db_fixtures import database_url_fixture  # noqa: F401
from tests.edge_fixtures import HOOK_SECRET, METRICS_TOKEN, Edge, edge_fixture  # noqa: F401
from tests.fake_webex import fake_webex_fixture  # noqa: F401
from tests.share_fixtures import ShareStarter, share_starter_fixture  # noqa: F401

ROOT = Path(__file__).parent.parent
LOBBY = "Q2FV-LBBY-0001"


async def post_event(edge: Edge, body: dict[str, Any]) -> httpx.Response:
    raw = json.dumps(body).encode()
    return await edge.http.post(
        "/hooks/events", content=raw, headers={SIGNATURE_HEADER: sign(raw, HOOK_SECRET)}
    )


def meraki_alert(**fields: Any) -> dict[str, Any]:
    return {
        "sharedSecret": HOOK_SECRET,
        "alertTypeId": "motion_alert",
        "deviceSerial": LOBBY,
        "occurredAt": datetime.now(UTC).isoformat(),
        **fields,
    }


def one_line(response: httpx.Response) -> str:
    reason = str(response.json()["error"])
    assert "\n" not in reason and "Traceback" not in reason
    return reason


# Webhooks ----------------------------------------------------------------------------


async def test_deeply_nested_json_on_the_meraki_hook_is_a_bad_request(edge: Edge) -> None:
    before = await edge.row_counts()
    body = b'{"a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"  # 200 kB: under the cap
    response = await edge.http.post("/hooks/meraki", content=body)
    assert response.status_code == 400
    assert "nests deeper" in one_line(response)
    assert await edge.row_counts() == before


async def test_a_year_9999_event_time_is_a_bad_request(edge: Edge) -> None:
    before = await edge.row_counts()
    for when in ("9999-12-31T23:59:59+00:00", "9999-12-31T23:59:59-05:00", 9.9e10):
        response = await post_event(edge, {"camera": "lobby", "time": when, "title": "Door"})
        assert response.status_code == 400, when
        assert "'time'" in one_line(response)
    assert await edge.row_counts() == before


async def test_events_dated_2100_are_refused_and_schedule_nothing(edge: Edge) -> None:
    before = await edge.row_counts()
    future = "2100-01-01T12:00:00+00:00"
    for when in (future, 4_102_444_800):  # ISO 8601 and epoch seconds
        response = await post_event(edge, {"camera": "lobby", "time": when, "title": "Door"})
        assert response.status_code == 400
        assert "more than a day in the future" in one_line(response)
    alert = meraki_alert(occurredAt=future)
    response = await edge.http.post("/hooks/meraki", content=json.dumps(alert).encode())
    assert response.status_code == 400
    assert "occurredAt" in one_line(response)
    assert await edge.row_counts() == before  # no event, alert or clip job


async def test_a_slightly_fast_sender_clock_is_still_accepted(edge: Edge) -> None:
    soon = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
    response = await post_event(edge, {"camera": "lobby", "time": soon, "title": "Door"})
    assert response.status_code in (200, 202)


async def test_over_long_hook_fields_are_refused_before_the_database(edge: Edge) -> None:
    before = await edge.row_counts()
    for field in ("deviceSerial", "alertTypeId", "networkId"):
        alert = meraki_alert(**{field: "Q" * 300})
        response = await edge.http.post("/hooks/meraki", content=json.dumps(alert).encode())
        assert response.status_code == 400, field
        assert field in one_line(response)
    now = datetime.now(UTC).isoformat()
    for body in (
        {"camera": "x" * 300, "time": now, "title": "Door"},
        {"camera": "lobby", "time": now, "title": "Door", "rooms": ["slack:" + "C" * 300]},
        {"camera": "lobby", "time": now, "title": "Door", "rooms": ["p" * 40 + ":C1"]},
    ):
        response = await post_event(edge, body)
        assert response.status_code == 400, body
        one_line(response)
    assert await edge.row_counts() == before


async def test_text_no_database_can_store_is_a_bad_request(edge: Edge) -> None:
    before = await edge.row_counts()
    now = datetime.now(UTC).isoformat()
    raw = b'{"camera": "lobby", "time": "%s", "title": "\\ud800"}' % now.encode()
    response = await edge.http.post(
        "/hooks/events", content=raw, headers={SIGNATURE_HEADER: sign(raw, HOOK_SECRET)}
    )
    assert response.status_code == 400
    assert "not valid Unicode" in one_line(response)
    assert await edge.row_counts() == before


# Signatures and tokens in headers and paths --------------------------------------------


async def test_a_non_ascii_file_link_signature_is_not_found(edge: Edge) -> None:
    response = await edge.http.get("/files/abc.%C3%A9%C3%A9/clip.mp4")
    assert response.status_code == 410


async def test_a_non_numeric_slack_timestamp_is_unauthorised(edge: Edge) -> None:
    for stamp in ("soon", "١٢٣".encode(), "9" * 40):
        response = await edge.http.post(
            "/slack/events",
            content=b"command=%2Fmv&text=cameras",
            headers={"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": "v0=00"},
        )
        assert response.status_code == 401, stamp
        assert "X-Slack-Request-Timestamp" in response.text


async def test_metrics_ask_for_the_configured_bearer_token(edge: Edge) -> None:
    assert (await edge.http.get("/metrics")).status_code == 401
    wrong = await edge.http.get("/metrics", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401 and wrong.headers["www-authenticate"].startswith("Bearer")
    right = await edge.http.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    assert right.status_code == 200 and "# TYPE" in right.text


# Shares --------------------------------------------------------------------------------


async def test_an_address_with_a_mention_tacked_on_is_refused(share_starter: ShareStarter) -> None:
    async with share_starter() as shared:
        replies = await shared.ask("share lobby with evil@example.com|@channel")
        assert replies[-1].tone is Tone.ERROR
        assert "not an e-mail address" in replies[-1].text
        assert await shared.running.shares.active() == []


async def test_a_300_character_share_name_is_refused_not_a_failure(
    share_starter: ShareStarter,
) -> None:
    async with share_starter() as shared:
        replies = await shared.ask(f'share lobby with guest@example.com name "{"N" * 300}"')
        assert replies[-1].tone is Tone.ERROR
        assert "too long" in replies[-1].text
        assert "went wrong" not in replies[-1].text
        assert await shared.running.shares.active() == []


async def test_views_are_logged_once_per_link_and_address_not_per_user_agent(
    share_starter: ShareStarter,
) -> None:
    async with share_starter() as shared:
        token = await shared.share("share lobby with guest@example.com")
        for n in range(10):
            page = await shared.http.get(f"/s/{token}", headers={"User-Agent": f"agent-{n}"})
            assert page.status_code == 200
        rows = await shared.running.shares.store.access_rows()
        assert [r.event.label for r in rows].count("link viewed") == 1


async def test_x_forwarded_for_from_loopback_is_not_believed_by_default(
    share_starter: ShareStarter,
) -> None:
    async with share_starter() as shared:
        token = await shared.share("share lobby with guest@example.com")
        page = await shared.http.get(f"/s/{token}", headers={"X-Forwarded-For": "203.0.113.9"})
        assert page.status_code == 200
        rows = await shared.running.shares.store.access_rows()
        viewed = [r for r in rows if r.event.label == "link viewed"]
        assert [r.client_address for r in viewed] == ["127.0.0.1"]


# Operators -----------------------------------------------------------------------------


def test_a_short_api_key_does_not_mangle_config_problems() -> None:
    from bot.config import check_settings

    problems = check_settings({"MVBOT_MERAKI_API_KEY": "a", "MVBOT_HTTP_PORT": "many"})
    [port] = [str(p) for p in problems]
    assert "MVBOT_HTTP_PORT" in port and "valid integer" in port and "'many'" in port


def test_masking_replaces_the_secret_and_never_a_word_containing_it() -> None:
    from bot.telemetry.logs import RedactingFilter

    redact = RedactingFilter(["demo", "a"]).redact
    assert redact("demonstration of demo, key=demo.") == "demonstration of ***, key=***."
    assert redact("a camera named Plaza") == "a camera named Plaza"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_wrong_database_port_is_one_line_without_a_traceback(tmp_path: Path) -> None:
    port = _free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("MVBOT_") or key.startswith("MVBOT_TEST_")
    }
    env.update(
        MVBOT_MERAKI_API_KEY="demo-key-for-edges",
        MVBOT_DATA_DIR=str(tmp_path),
        MVBOT_HTTP_PORT="0",
        MVBOT_DATABASE_URL=f"postgresql+psycopg://mvbot:hunter22@127.0.0.1:{port}/mvbot",
    )
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "run"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode != 0
    assert "Traceback" not in done.stderr and "hunter22" not in done.stderr
    [line] = [text for text in done.stderr.splitlines() if "cannot start" in text]
    assert f"127.0.0.1:{port}" in line and "MVBOT_DATABASE_URL" in line
    assert len(done.stderr.splitlines()) <= 3, done.stderr


def test_start_up_failures_outside_mvbot_are_one_line_and_bugs_keep_their_trace() -> None:
    import errno

    from bot.telemetry.startup import startup_failure

    url = "postgresql+psycopg://mvbot:hunter22@db.internal:5432/mvbot"
    in_use = OSError(errno.EADDRINUSE, "Address already in use")
    refused = ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused")
    for error, hint in ((in_use, "MVBOT_HTTP_PORT"), (refused, "MVBOT_SLACK_API_URL")):
        line = startup_failure(error, url)
        assert line is not None and hint in line and "\n" not in line
    assert startup_failure(KeyError("bug"), url) is None
    assert startup_failure(RecursionError(), url) is None
