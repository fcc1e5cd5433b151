"""Scenario fixtures: the real bot behind a MemoryAdapter, talking to a simulator over loopback.

A test module imports the fixtures it uses together with the database fixture they need:

    from tests.bot_fixtures import (  # noqa: F401
        bot_fixture, bot_simulator_fixture, bot_starter_fixture,
    )
    from tests.db_fixtures import database_url_fixture  # noqa: F401

(the fixtures are named `bot`, `bot_starter` and `bot_simulator`), and then
`replies = await bot.ask("clip lobby 10m ago 2m")`. Every test using `bot` runs
once per database backend (SQLite, and PostgreSQL when MVBOT_TEST_POSTGRES_URL is set).
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import av
import pytest

from adapters.memory import MemoryAdapter, Posted
from bot.access import AccessPolicy, Role
from bot.app import Running, running_bot
from bot.cameras.catalog import CameraCatalog
from bot.config import Settings
from bot.meraki import MerakiClient
from bot.messages import Reply
from bot.outbox import Outbox
from bot.scheduler import Scheduler
from bot.services import Services
from bot.store import AuditRecord, Outcome, Store
from bot.store.posts import PostLedger
from simulator import RequestRecord, SimulatorServer
from simulator.media import decode_stripe

# The simulated cloud for scenarios: a short availability lag so deferred clips come within
# seconds, small frames so that encoding a 15-minute clip stays quick, and a rate limit that
# lets the bot load its camera directory (nine requests) without queueing for two seconds.
RATE = 20.0
SIMULATOR_SETTINGS: Mapping[str, Any] = {
    "rate": RATE,
    "availability_lag": 3.0,
    "width": 192,
    "height": 108,
    "snapshot_ready_delay": 0.3,
}
API_KEY = "demo-key"
SimulatorFactory = Callable[..., SimulatorServer]

VIEWER = "U1"  # MemoryAdapter's default user: listed as a viewer
VIEWER_EMAIL = "viewer@example.com"  # a viewer known only by e-mail
STRANGER = "U9"  # listed nowhere: the default role (none) applies
ROOM = "R1"  # MemoryAdapter's default room
SECURE_ROOM = "R-secure"  # the only room that may see cameras tagged "restricted"

DEFAULT_ACCESS: Mapping[str, Any] = {
    "default_role": "none",
    "viewers": [VIEWER, VIEWER_EMAIL],
    "restricted_tags": {"restricted": [SECURE_ROOM]},
}


@dataclass
class BotUnderTest:
    """A running bot, the room it answers in, and the simulated cloud behind it."""

    room: MemoryAdapter
    running: Running
    simulator: SimulatorServer
    settings: Settings
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def store(self) -> Store:
        return self.running.services.store

    async def ask(self, text: str, **who: str) -> list[Reply]:
        """Say `text` (as `user=`, `email=`, in `room=`) and return what the bot posted for it,
        edits included, in order."""
        before = len(self.room.posted)
        outcome = await self.running.bot.handle(self.room.message(text, **who))
        self.outcomes.append(outcome)
        return [p.reply for p in self.room.posted[before:]]

    async def last_audit(self) -> AuditRecord:
        rows = await self.store.audit_rows(limit=1)
        assert rows, "nothing was audited"
        return rows[0]

    def api_calls(self, fragment: str) -> list[RequestRecord]:
        """The simulator's log of Dashboard API requests whose path contains `fragment`."""
        return [r for r in self.simulator.state.requests if fragment in r.path]


BotStarter = Callable[..., AbstractAsyncContextManager[BotUnderTest]]


def sent_ids(posted: list[Posted]) -> list[str | None]:
    """The id MemoryAdapter gave each posted message (None for an edit, which has none)."""
    ids: list[str | None] = []
    sends = 0
    for entry in posted:
        if entry.edit_of is None:
            sends += 1
            ids.append(str(sends))
        else:
            ids.append(None)
    return ids


def bot_settings(
    simulator: SimulatorServer,
    database_url: str,
    data_dir: Path,
    access: Mapping[str, Any] | None = None,
    clips: Mapping[str, Any] | None = None,
    exports: Mapping[str, Any] | None = None,
) -> Settings:
    lag = f"{SIMULATOR_SETTINGS['availability_lag']:g}s"
    return Settings().with_overrides(
        {
            "meraki": {"api_key": API_KEY, "base_url": simulator.api_url, "rate": RATE},
            "store": {"data_dir": data_dir, "database_url": database_url},
            "access": dict(access if access is not None else DEFAULT_ACCESS),
            "clips": {"availability_lag": lag, **(clips or {})},
            "exports": dict(exports or {}),
        }
    )


@pytest.fixture(name="bot_simulator")
def bot_simulator_fixture(simulator_factory: SimulatorFactory) -> SimulatorServer:
    """The default fleet, footage available 3 s after it happens."""
    return simulator_factory(**SIMULATOR_SETTINGS)


@pytest.fixture(name="bot_starter")
def bot_starter_fixture(
    database_url: str, tmp_path: Path, bot_simulator: SimulatorServer
) -> BotStarter:
    """`async with bot_starter(access=..., clips=..., simulator=...) as bot:` — settings
    sections replace the defaults above (`platform=` names the room's platform); several
    starts share one database and data directory, as a restarted process would."""
    data_dir = tmp_path / "data"

    @asynccontextmanager
    async def start(
        access: Mapping[str, Any] | None = None,
        clips: Mapping[str, Any] | None = None,
        simulator: SimulatorServer | None = None,
        exports: Mapping[str, Any] | None = None,
        platform: str = "memory",
    ) -> AsyncIterator[BotUnderTest]:
        cloud = simulator or bot_simulator
        settings = bot_settings(cloud, database_url, data_dir, access, clips, exports)
        room = MemoryAdapter(platform=platform)
        async with running_bot(settings, [room]) as running:
            yield BotUnderTest(room, running, cloud, settings)

    return start


@pytest.fixture(name="bot")
async def bot_fixture(bot_starter: BotStarter) -> AsyncIterator[BotUnderTest]:
    async with bot_starter() as started:
        yield started


@asynccontextmanager
async def offline_services(
    database_url: str, files: Path
) -> AsyncIterator[tuple[Services, MemoryAdapter]]:
    """The real services over the store at `database_url`, with a Slack MemoryAdapter room and
    a Meraki client that reaches nothing: for a core running test commands only."""
    room = MemoryAdapter(platform="slack")
    store = await Store.open(database_url)
    outbox = Outbox(PostLedger(store.engine))  # as mvbot run keys its posts
    outbox.add(room)
    meraki = MerakiClient("key", "http://127.0.0.1:9/api/v1", org_id="1")
    services = Services(
        meraki=meraki,
        catalog=CameraCatalog(meraki),
        store=store,
        scheduler=Scheduler(store.engine),
        outbox=outbox,
        access=AccessPolicy(default_role=Role.VIEWER),
        files=files,
    )
    try:
        yield services, room
    finally:
        await services.catalog.close()
        await meraki.aclose()
        await store.close()


# Checking what a person receives -------------------------------------------------------


def field_value(reply: Reply, label: str) -> str:
    found = [f.value for f in reply.fields if f.label == label]
    assert found, f"the reply has no {label!r} field: {reply}"
    return found[0]


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def utc_ms(moment: datetime) -> int:
    # The nearest whole millisecond, as the bot rounds a time for the API
    # (bot.clips.parts.whole_millisecond), in exact integer arithmetic.
    return round((moment - datetime(1970, 1, 1, tzinfo=UTC)) / timedelta(milliseconds=1))


@dataclass(frozen=True)
class Video:
    """What a player sees in a video file, and the times its frames carry in their stripes."""

    format: str
    duration: float  # as the container declares it, seconds
    frames: int
    frame_ms: float  # one frame's length
    stripes: Mapping[int, int]  # frame index -> epoch ms, for the frames asked about

    @property
    def first_ms(self) -> int:
        return self.stripes[0]

    @property
    def last_ms(self) -> int:
        return self.stripes[self.frames - 1]


def open_video(path: Path, around: tuple[int, ...] = ()) -> Video:
    """Decode every frame of `path`; read the stripe of the first, the last, and the frames
    just before and at each index in `around` (where parts were joined)."""
    wanted = {0, *(i - 1 for i in around), *around}
    stripes: dict[int, int] = {}
    last: av.VideoFrame | None = None
    index = -1
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        rate = float(stream.average_rate or 0)
        for index, frame in enumerate(container.decode(stream)):
            if index in wanted:
                stripes[index] = decode_stripe(frame.to_ndarray(format="rgb24"))
            last = frame
        assert last is not None, f"{path} holds no video frame"
        stripes[index] = decode_stripe(last.to_ndarray(format="rgb24"))
        duration = (container.duration or 0) / av.time_base
        name = container.format.name
    return Video(name, duration, index + 1, 1000 / rate, stripes)
