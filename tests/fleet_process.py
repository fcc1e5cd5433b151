"""Several `mvbot run` replicas as real processes: one PostgreSQL schema, one simulator, one
data directory and one fake Slack shared by all, each replica with its own id and port."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from simulator import SimulatorServer
from tests.bot_fixtures import API_KEY
from tests.bot_process import BotProcess, mvbot_run
from tests.fake_slack import BOT_TOKEN, SIGNING_SECRET, FakeSlack

LEASE = "3s"  #: replicas look for each other every second in tests
ELECTED = r"leader duties started"


def fleet_env(
    database_url: str, simulator: SimulatorServer, fake: FakeSlack, data: Path
) -> dict[str, str]:
    """What every replica of a test fleet shares."""
    return {
        "MVBOT_DATABASE_URL": database_url,
        "MVBOT_MERAKI_API_KEY": API_KEY,
        "MVBOT_MERAKI_BASE_URL": simulator.api_url,
        "MVBOT_DATA_DIR": str(data),
        "MVBOT_SLACK_BOT_TOKEN": BOT_TOKEN,
        "MVBOT_SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "MVBOT_SLACK_API_URL": fake.api_url,
        "MVBOT_ACCESS_VIEWERS": "U1",
        "MVBOT_REPLICA_LEASE": LEASE,
    }


@dataclass
class Replicas:
    """The running replicas by id; `start` adds one, `kill` ends one with SIGKILL."""

    env: Mapping[str, str]
    stack: AsyncExitStack
    running: dict[str, BotProcess] = field(default_factory=dict)

    async def start(self, replica_id: str) -> BotProcess:
        settings = {**self.env, "MVBOT_REPLICA_ID": replica_id}
        replica = await self.stack.enter_async_context(mvbot_run(settings))
        self.running[replica_id] = replica
        return replica

    async def kill(self, replica_id: str) -> None:
        replica = self.running.pop(replica_id)
        replica.process.kill()
        await replica.process.wait()

    async def health(self, replica_id: str) -> dict[str, Any]:
        async with httpx.AsyncClient(timeout=10.0) as http:
            answer = await http.get(f"{self.running[replica_id].url}/healthz")
        found: dict[str, Any] = answer.json()
        return found

    async def leader(self) -> str | None:
        """The id of the running replica that says it leads, if one does."""
        for replica_id in self.running:
            if (await self.health(replica_id))["role"] == "leader":
                return replica_id
        return None


@asynccontextmanager
async def replicas(env: Mapping[str, str], ids: Sequence[str]) -> AsyncIterator[Replicas]:
    """Start the replicas `ids` one after the other (the first one leads); stop them all at
    the end with SIGTERM, those still running."""
    async with AsyncExitStack() as stack:
        fleet = Replicas(env, stack)
        for replica_id in ids:
            await fleet.start(replica_id)
        yield fleet
