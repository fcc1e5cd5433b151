"""MerakiClient over httpx.MockTransport on virtual time: retries, 429s, errors, coalescing."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Coroutine
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from bot.meraki import (
    CameraOffline,
    InvalidRequest,
    MerakiClient,
    MerakiError,
    NotFound,
    OrganizationUnresolved,
    OutsideRetention,
    Priority,
    RateLimited,
    TooRecent,
    Unauthorized,
    Unavailable,
    Unprocessable,
)
from tests.test_meraki_virtualtime import run_virtual

KEY = "sekrit-api-key-0123456789"
BASE = "https://api.example.test/api/v1"
T0 = datetime(2026, 3, 23, 14, 30, tzinfo=UTC)

Handler = Callable[[httpx.Request], Coroutine[None, None, httpx.Response]]


def client_for(handler: Handler, **options: Any) -> MerakiClient:
    options.setdefault("org_id", "o1")
    options.setdefault("backoff_base", 0.5)
    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return MerakiClient(KEY, BASE, http=http, **options)


async def closing(client: MerakiClient) -> None:
    await client._http.aclose()


class Recorder:
    """Answers with a queue of responses (the last one repeats) and records every request."""

    def __init__(self, *responses: httpx.Response | Exception) -> None:
        self.responses = list(responses)
        self.requests: list[httpx.Request] = []
        self.times: list[float] = []

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        self.times.append(asyncio.get_running_loop().time())
        answer = self.responses.pop(0) if len(self.responses) > 1 else self.responses[0]
        if isinstance(answer, Exception):
            raise answer
        return answer


def ok(body: Any, **headers: str) -> httpx.Response:
    return httpx.Response(200, json=body, headers=headers)


def fail(status: int, *messages: str, **headers: str) -> httpx.Response:
    return httpx.Response(status, json={"errors": list(messages)}, headers=headers)


CLIP = {"url": "https://media.example.test/clip/abc?token=zzz", "expiry": "2026-03-23T14:40:00Z"}


async def clip(client: MerakiClient, minute: int = 0) -> Any:
    start = T0 + timedelta(minutes=minute)
    return await client.clip_link("Q2XX-AAAA-0001", start, start + timedelta(minutes=2))


def test_clip_link_sends_bearer_key_and_utc_millisecond_timestamps() -> None:
    recorder = Recorder(ok(CLIP))

    async def main() -> Any:
        client = client_for(recorder)
        local = T0.astimezone(__import__("zoneinfo").ZoneInfo("Europe/Paris"))
        try:
            return await client.clip_link(
                "Q2XX-AAAA-0001", local, local + timedelta(seconds=90), imager=2
            )
        finally:
            await closing(client)

    link = run_virtual(main())
    assert link.url == CLIP["url"]
    assert link.expiry == datetime(2026, 3, 23, 14, 40, tzinfo=UTC)
    (request,) = recorder.requests
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert request.url.path == "/api/v1/devices/Q2XX-AAAA-0001/camera/clip"
    assert dict(request.url.params) == {
        "startTimestamp": "2026-03-23T14:30:00.000Z",
        "endTimestamp": "2026-03-23T14:31:30.000Z",
        "imagerId": "2",
    }


def test_naive_datetimes_are_refused_before_any_request() -> None:
    recorder = Recorder(ok(CLIP))

    async def main() -> None:
        client = client_for(recorder)
        try:
            await client.clip_link("Q2", datetime(2026, 1, 1), datetime(2026, 1, 1, 0, 1))
        finally:
            await closing(client)

    with pytest.raises(ValueError, match="naive"):
        run_virtual(main())
    assert recorder.requests == []


@pytest.mark.parametrize(
    ("response", "kind"),
    [
        (fail(400, "endTimestamp must be after startTimestamp"), InvalidRequest),
        (fail(401, "Invalid API key"), Unauthorized),
        (fail(403, "No access"), Unauthorized),
        (fail(404, "Not found"), NotFound),
        (fail(422, "The requested time is outside the retention period"), OutsideRetention),
        (fail(422, "Video is not yet available for the requested time"), TooRecent),
        (fail(422, "The camera was offline during the requested time"), CameraOffline),
        (fail(422, "Something else"), Unprocessable),
        (httpx.Response(418, text="teapot"), MerakiError),
    ],
)
def test_client_errors_map_to_typed_errors_and_are_never_retried(
    response: httpx.Response, kind: type[MerakiError]
) -> None:
    recorder = Recorder(response)

    async def main() -> None:
        client = client_for(recorder)
        try:
            await clip(client)
        finally:
            await closing(client)

    with pytest.raises(kind) as caught:
        run_virtual(main())
    assert type(caught.value) is kind
    assert caught.value.status == response.status_code
    assert caught.value.operation == "clip"
    assert len(recorder.requests) == 1


def test_server_errors_timeouts_and_drops_are_retried_to_success() -> None:
    class Dropped(httpx.AsyncByteStream):
        async def __aiter__(self) -> AsyncIterator[bytes]:
            yield b'{"url": "https://me'
            raise httpx.RemoteProtocolError("peer closed connection mid-body")

    recorder = Recorder(
        fail(500, "boom"),
        httpx.ReadTimeout("slow"),
        httpx.ConnectError("refused"),
        httpx.Response(200, stream=Dropped()),
        fail(503),
        ok(CLIP),
    )

    async def main() -> Any:
        client = client_for(recorder, max_attempts=6)
        try:
            return await clip(client)
        finally:
            await closing(client)

    assert run_virtual(main()).url == CLIP["url"]
    assert len(recorder.requests) == 6


def test_backoff_is_exponential_with_full_jitter() -> None:
    recorder = Recorder(fail(502))

    async def main() -> None:
        client = client_for(recorder, max_attempts=5, backoff_base=1.0)
        try:
            await clip(client)
        finally:
            await closing(client)

    with pytest.raises(Unavailable) as caught:
        run_virtual(main())
    assert caught.value.status == 502
    assert len(recorder.requests) == 5
    gaps = [b - a for a, b in zip(recorder.times, recorder.times[1:], strict=False)]
    for attempt, gap in enumerate(gaps):
        assert 0 <= gap <= 2**attempt + 0.01


def test_429_pauses_the_whole_org_for_retry_after_then_succeeds() -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        now = asyncio.get_running_loop().time()
        seen.append((now, request.url.path))
        if len(seen) == 1:
            return fail(429, "Too many requests", **{"Retry-After": "2"})
        return ok(CLIP if "clip" in request.url.path else {"id": "Q2", "serial": "Q2"})

    seen: list[tuple[float, str]] = []

    async def main() -> None:
        client = client_for(handler)
        try:
            first = asyncio.create_task(clip(client))
            await asyncio.sleep(0.5)
            await asyncio.gather(first, client.device("Q2XX-OTHER"))
        finally:
            await closing(client)

    run_virtual(main())
    assert [path.rsplit("/", 1)[-1] for _, path in seen] == ["clip", "clip", "Q2XX-OTHER"]
    assert all(at >= 2.0 for at, _ in seen[1:])  # nobody went out during the pause


def test_429_is_retried_for_rate_limit_wait_then_raises() -> None:
    recorder = Recorder(fail(429, "Too many requests", **{"Retry-After": "10"}))

    async def main() -> None:
        client = client_for(recorder, rate_limit_wait=30.0)
        try:
            await clip(client)
        finally:
            await closing(client)

    with pytest.raises(RateLimited) as caught:
        run_virtual(main())
    assert caught.value.retry_after == 10
    assert len(recorder.requests) == 4  # at t = 0, 10, 20, 30


def test_identical_gets_in_flight_share_one_request_and_survive_a_cancelled_caller() -> None:
    release = asyncio.Event()

    async def slow(request: httpx.Request) -> httpx.Response:
        calls.append(str(request.url))
        await release.wait()
        return ok(CLIP)

    calls: list[str] = []

    async def main() -> list[Any]:
        client = client_for(slow)
        try:
            callers = [asyncio.create_task(clip(client)) for _ in range(3)]
            other = asyncio.create_task(clip(client, minute=5))
            await asyncio.sleep(0.1)
            callers[0].cancel()
            await asyncio.sleep(0.1)
            release.set()
            return [await callers[1], await callers[2], await other, callers[0].cancelled()]
        finally:
            await closing(client)

    first, second, other, cancelled = run_virtual(main())
    assert len(calls) == 2  # one for the three identical callers, one for the other clip
    assert first == second == other
    assert cancelled


def test_a_shared_request_is_cancelled_when_every_caller_gives_up() -> None:
    async def hang(request: httpx.Request) -> httpx.Response:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            abandoned.append(request.url.path)
            raise
        raise AssertionError("unreachable")

    abandoned: list[str] = []

    async def main() -> None:
        client = client_for(hang)
        try:
            callers = [asyncio.create_task(clip(client)) for _ in range(2)]
            await asyncio.sleep(1)
            for caller in callers:
                caller.cancel()
            await asyncio.gather(*callers, return_exceptions=True)
            await asyncio.sleep(0)
        finally:
            await closing(client)

    run_virtual(main())
    assert len(abandoned) == 1


def test_get_all_follows_link_next_and_keeps_the_key_on_our_host() -> None:
    pages = {
        "": ok(
            [{"serial": "A"}], Link=f"<{BASE}/organizations/o1/devices?startingAfter=A>; rel=next"
        ),
        "startingAfter=A": ok(
            [{"serial": "B"}, {"serial": "C"}],
            Link=f'<{BASE}/organizations/o1/devices?startingAfter=C>; rel="next", '
            f"<{BASE}/x>; rel=first",
        ),
        "startingAfter=C": ok([{"serial": "D"}]),
    }

    async def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return pages[request.url.query.decode()] if "perPage" not in str(request.url) else pages[""]

    seen: list[httpx.Request] = []

    async def main() -> list[str]:
        client = client_for(handler)
        try:
            return [camera.serial for camera in await client.cameras()]
        finally:
            await closing(client)

    assert run_virtual(main()) == ["A", "B", "C", "D"]
    assert seen[0].url.params.get_list("productTypes[]") == ["camera"]
    assert len(seen) == 3


def test_a_next_link_to_another_host_is_refused() -> None:
    recorder = Recorder(ok([{"serial": "A"}], Link="<https://evil.test/steal>; rel=next"))

    async def main() -> None:
        client = client_for(recorder)
        try:
            await client.networks()
        finally:
            await closing(client)

    with pytest.raises(MerakiError, match="another host"):
        run_virtual(main())
    assert all(r.url.host == "api.example.test" for r in recorder.requests)


def test_org_id_is_discovered_when_the_key_sees_exactly_one() -> None:
    recorder = Recorder(ok([{"id": "42", "name": "Acme"}]), ok([{"id": "N1", "name": "HQ"}]))

    async def main() -> tuple[str, list[str]]:
        client = client_for(recorder, org_id=None)
        try:
            networks = await client.networks()
            return await client.organization_id(), [n.id for n in networks]
        finally:
            await closing(client)

    assert run_virtual(main()) == ("42", ["N1"])
    assert [r.url.path for r in recorder.requests] == [
        "/api/v1/organizations",
        "/api/v1/organizations/42/networks",
    ]


def test_a_key_seeing_several_orgs_needs_configuration() -> None:
    recorder = Recorder(ok([{"id": "1", "name": "A"}, {"id": "2", "name": "B"}]))

    async def main() -> None:
        client = client_for(recorder, org_id=None)
        try:
            await client.cameras()
        finally:
            await closing(client)

    with pytest.raises(OrganizationUnresolved, match="sees 2 organisations"):
        run_virtual(main())


def test_interactive_requests_jump_queued_background_refreshes() -> None:
    recorder = Recorder(ok({"serial": "X"}))

    async def main() -> None:
        client = client_for(recorder, rate=1.0)
        try:
            background = [
                asyncio.create_task(client.device(f"BG{i}", priority=Priority.BACKGROUND))
                for i in range(4)
            ]
            await asyncio.sleep(0.5)
            await client.device("PERSON")
            await asyncio.gather(*background)
        finally:
            await closing(client)

    run_virtual(main())
    order = [r.url.path.rsplit("/", 1)[-1] for r in recorder.requests]
    assert order == ["BG0", "PERSON", "BG1", "BG2", "BG3"]


def test_the_key_never_shows_in_errors_reprs_or_logs(caplog: pytest.LogCaptureFixture) -> None:
    recorder = Recorder(
        fail(500),
        fail(429, **{"Retry-After": "1"}),
        fail(400, f"Bad key {KEY} in header"),
    )

    async def main() -> MerakiClient:
        client = client_for(recorder)
        try:
            await clip(client)
        except InvalidRequest as err:
            texts.extend([str(err), repr(err), repr(err.details)])
        finally:
            await closing(client)
        return client

    texts: list[str] = []
    with caplog.at_level(logging.DEBUG, logger="bot.meraki"):
        client = run_virtual(main())
    texts += [repr(client), caplog.text]
    assert len(texts) == 5
    assert "[redacted]" in texts[0]
    assert all(KEY not in text for text in texts)


def test_redirects_within_the_api_realm_keep_the_key_and_others_are_refused() -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.host == "api.example.test":
            target = (
                "https://n42.example.test/api/v1/devices/Q2"
                if "Q2" in request.url.path
                else "https://evil.test/x"
            )
            return httpx.Response(302, headers={"Location": target})
        return ok({"serial": "Q2", "name": "Lobby"})

    seen: list[httpx.Request] = []

    async def main() -> tuple[str, str]:
        client = client_for(handler)
        try:
            device = await client.device("Q2")
            with pytest.raises(MerakiError, match="another host"):
                await client.device("Q3")
            return device.name, seen[1].headers["authorization"]
        finally:
            await closing(client)

    assert run_virtual(main()) == ("Lobby", f"Bearer {KEY}")
    assert [r.url.host for r in seen] == [
        "api.example.test",
        "n42.example.test",
        "api.example.test",
    ]
