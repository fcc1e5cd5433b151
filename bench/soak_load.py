"""The soak benchmark's load: slash commands from several rooms, plate bursts with watched
plates, share viewers, and the tally of what fake Slack received against what was sent."""

from __future__ import annotations

import asyncio
import json
import random
import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from simulator.mqtt import lpr_topic
from tests.fake_slack import Call, FakeSlack
from tests.mosquitto import publish_all
from tests.slack_requests import form_body, signed_headers, slash_command

CHANNELS = ("C1", "C2", "C3", "C4", "C5")
USERS = ("U1", "U2")
CAMERAS = ("lobby", "warehouse", "parking", "garage")
GARAGE = "Q2GV-GRGE-0002"  # reads plates
LOBBY = "Q2FV-LBBY-0001"
ALPHABET = "ACDEFGHJKLMNPQRTUVWXY34679"
ASKED = re.compile(r"<@(U\w+)> asked `/mv ([^`]+)`")
LINK = re.compile(r"/s/([A-Za-z0-9_-]{43})")
SEGMENT = 2.0  # the share viewer's default segment length

Key = tuple[str, str, str]  # channel, user, the command as typed


def utc(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def command_for(n: int, epoch: float) -> tuple[str, str]:
    """The n-th command of the steady load: (kind, text). Clips and snapshots name a
    second of their own, so each text is asked once; the others repeat across rooms."""
    camera = CAMERAS[n % len(CAMERAS)]
    kind = ("clip", "snapshot", "cameras", "occupancy")[n % 4]
    if kind == "clip":
        return kind, f"clip {camera} {utc(epoch - 3600 + n)} 10s"
    if kind == "snapshot":
        return kind, f"snapshot {camera} {utc(epoch - 7200 + n)}"
    if kind == "cameras":
        return kind, "cameras"
    sensing = ("lobby", "warehouse")[(n // 4) % 2]
    return kind, f"occupancy {sensing} {1 + n % 30}m" if n % 8 < 4 else f"occupancy {sensing}"


@dataclass(frozen=True)
class Sent:
    kind: str
    key: Key
    status: int | None  # mvbot's acknowledgement; None when mvbot could not be reached


@dataclass
class Load:
    """What the load sent and every answer mvbot's own routes gave it."""

    fake: FakeSlack
    url: str
    sent: list[Sent] = field(default_factory=list)
    watched: list[tuple[str, str]] = field(default_factory=list)  # (channel, plate) confirmed
    reads: int = 0  # plate reads published
    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)  # (route, status)
    unreachable: Counter[str] = field(default_factory=Counter)  # route -> requests mvbot missed

    async def command(self, http: httpx.AsyncClient, kind: str, text: str, n: int) -> Key:
        channel, user = CHANNELS[(n // 4) % len(CHANNELS)], USERS[n % len(USERS)]
        body = form_body(slash_command(text, user=user, channel=channel,
                                       response_url=self.fake.response_url()))  # fmt: skip
        status: int | None = None
        try:
            answer = await http.post(
                f"{self.url}/slack/events", content=body, headers=signed_headers(body)
            )
            status = answer.status_code
            self.statuses["slack", status] += 1
        except httpx.TransportError:
            self.unreachable["slack"] += 1  # mvbot is down: Slack would show the person an error
        key = (channel, user, text)
        self.sent.append(Sent(kind, key, status))
        return key


async def commands(load: Load, until: float, period: float, epoch: float) -> None:
    async with httpx.AsyncClient(timeout=30) as http:
        n = 0
        while time.monotonic() < until:
            began = time.monotonic()
            kind, text = command_for(n, epoch)
            await load.command(http, kind, text, n)
            n += 1
            await asyncio.sleep(max(0.0, period - (time.monotonic() - began)))  # steady rate


def plate(rng: random.Random) -> str:
    return "".join(rng.choice(ALPHABET) for _ in range(7))


async def plates(load: Load, broker_port: int, until: float, period: float, burst: int) -> None:
    """Every `period`: a room watches a new plate, then a burst of reads carries it twice
    (one car, two reads) among `burst` other plates."""
    rng = random.Random(13)
    async with httpx.AsyncClient(timeout=30) as http:
        n = 0
        while time.monotonic() < until:
            began = time.monotonic()
            watched = plate(rng)
            key = await load.command(http, "watch", f"watch plate {watched}", 4 * n)
            try:
                await load.fake.wait_for(lambda c, k=key: k in asked(c), timeout=30)
                load.watched.append((key[0], watched))
            except TimeoutError:
                pass  # mvbot was down or slow: the plate is not expected to be announced
            now = time.time()
            cars = [plate(rng) for _ in range(burst)] + [watched, watched]
            payloads = [
                json.dumps(
                    {"ts": round((now + i * 0.05) * 1000), "plate": p, "confidence": 0.95}
                ).encode()
                for i, p in enumerate(cars)
            ]
            await asyncio.to_thread(publish_all, broker_port, lpr_topic(GARAGE), payloads)
            load.reads += len(payloads)
            n += 1
            await asyncio.sleep(max(0.0, period - (time.monotonic() - began)))


async def share_playlist(load: Load) -> str:
    """Share Lobby from C1 and return the playlist URL the private answer links to."""
    async with httpx.AsyncClient(timeout=30) as http:
        await load.command(http, "share", "share lobby with guest@example.com", 0)
    found = await load.fake.wait_for(lambda c: bool(LINK.search(text_of(c))), timeout=60)
    token = LINK.search(text_of(found))
    assert token is not None
    return f"{load.url}/s/{token.group(1)}/{LOBBY}.m3u8"


async def viewer(load: Load, playlist: str, until: float, address: str) -> int:
    """Follow the live playlist as a player does until `until`; segments received."""
    transport = httpx.AsyncHTTPTransport(local_address=address)
    fetched: set[str] = set()
    async with httpx.AsyncClient(transport=transport, timeout=30) as http:
        while time.monotonic() < until:
            try:
                answer = await http.get(playlist)
                load.statuses["viewer", answer.status_code] += 1
                uris = [x for x in answer.text.splitlines() if x and not x.startswith("#")]
                for uri in uris if answer.status_code == 200 else []:
                    if uri not in fetched:
                        got = await http.get(playlist.rsplit("/", 1)[0] + "/" + uri)
                        load.statuses["viewer", got.status_code] += 1
                        fetched.add(uri)
            except httpx.TransportError:
                load.unreachable["viewer"] += 1
            await asyncio.sleep(SEGMENT)  # a player reloads a live playlist once a segment
    return len(fetched)


# The tally ---------------------------------------------------------------------------


def text_of(call: Call) -> str:
    return json.dumps(dict(call.params), ensure_ascii=False)


def asked(call: Call) -> set[Key]:
    """The commands a reply answers, from its "<@U1> asked `/mv …`" note."""
    if call.method not in ("chat.postMessage", "files.completeUploadExternal"):
        return set()
    channel = str(call.params.get("channel") or call.params.get("channel_id"))
    return {(channel, user, typed) for user, typed in ASKED.findall(text_of(call))}


@dataclass(frozen=True)
class Tally:
    kind: str
    expected: int
    answered_once: int
    lost: int
    doubled: int  # items answered more than once


def tally(kind: str, expected: Counter[Key], got: Counter[Key]) -> Tally:
    once = sum(min(n, got[k]) for k, n in expected.items() if got[k] == n)
    lost = sum(max(0, n - got[k]) for k, n in expected.items())
    doubled = sum(1 for k, n in expected.items() if got[k] > n)
    return Tally(kind, sum(expected.values()), once, lost, doubled)


def command_tallies(load: Load) -> list[Tally]:
    got: Counter[Key] = Counter(k for c in load.fake.calls for k in asked(c))
    kinds = sorted({s.kind for s in load.sent})
    rows = []
    for kind in kinds:
        expected = Counter(s.key for s in load.sent if s.kind == kind and s.status == 200)
        rows.append(tally(kind, expected, Counter({k: got[k] for k in expected})))
    return rows


def plate_tallies(load: Load) -> list[Tally]:
    """Heads-ups (a post or upload headed "Plate X —", outside any thread) per confirmed
    watch, and the clips posted in the heads-ups' threads, per room."""
    heads: Counter[Key] = Counter()
    by_plate = {p: ch for ch, p in load.watched}
    threads: Counter[tuple[str, str]] = Counter()  # (channel, thread) -> clips posted in it
    for call in load.fake.calls:
        if call.method not in ("chat.postMessage", "files.completeUploadExternal"):
            continue
        channel = str(call.params.get("channel") or call.params.get("channel_id"))
        body = text_of(call)
        if thread := call.params.get("thread_ts"):
            if call.method == "files.completeUploadExternal" and "Garage Entrance" in body:
                threads[channel, str(thread)] += 1
            continue
        for watched, room in by_plate.items():
            if room == channel and f"Plate {watched} \u2014" in body and "More for" not in body:
                heads[channel, "", watched] += 1
    expected = Counter((ch, "", p) for ch, p in load.watched)
    # A clip cannot be tied to its heads-up's plate (a message heads-up's ts is only in
    # the fake's answer), so clips are counted as threads: one heads-up, one clip.
    clips = Tally(
        "plate clip",
        len(load.watched),
        sum(1 for n in threads.values() if n == 1),
        max(0, len(load.watched) - len(threads)),
        sum(1 for n in threads.values() if n > 1),
    )
    return [tally("plate heads-up", expected, heads), clips]


def settled(load: Load) -> Callable[[], bool]:
    """Whether every acknowledged command and confirmed watch has its answer."""

    def check() -> bool:
        rows = command_tallies(load) + plate_tallies(load)[:1]
        return all(r.lost == 0 for r in rows)

    return check
