"""A replica as a separate process for the shared budget's tests and bench: N clip links.

`python -m tests.budget_replica DATABASE_URL API_URL REPLICA COUNT [OFFSET [PRIORITY]]` asks
the simulator for COUNT distinct clip links of the Lobby camera (at PRIORITY, a `Priority`
name, default INTERACTIVE) through a MerakiClient on a SharedBudget, prints `ready` once it
waits only for its go (a line on standard input), then `done N`. REPLICA `memory` uses the
in-memory budget instead (the benchmark's baseline).
"""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime, timedelta

from bot.meraki import Budget, MerakiClient, Priority, RateBudget
from bot.meraki.shared_budget import SharedBudget
from bot.store import create_database_engine

ORG = "shared-budget-test"
RATE = 5.0


async def main(
    database_url: str, api_url: str, replica: str, count: int, offset: int, priority: Priority
) -> int:
    engine = create_database_engine(database_url)
    budget: Budget = (
        RateBudget(RATE) if replica == "memory" else SharedBudget(engine, ORG, replica, RATE)
    )
    try:
        async with MerakiClient("demo-key", api_url, rate=RATE, budget=budget) as client:
            serial = next(c.serial for c in await client.cameras() if c.name == "Lobby")
            print("ready", flush=True)
            await asyncio.to_thread(sys.stdin.readline)
            base = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=30)
            starts = [base - timedelta(seconds=5 * (offset + i)) for i in range(count)]
            links = await asyncio.gather(
                *(
                    client.clip_link(serial, s, s + timedelta(seconds=5), priority=priority)
                    for s in starts
                )
            )
            print(f"done {len(links)}", flush=True)
    finally:
        await budget.aclose()
        engine.dispose()
    return 0


if __name__ == "__main__":
    url, api, name, n, *rest = sys.argv[1:]
    offset = int(rest[0]) if rest else 0
    priority = Priority[rest[1]] if len(rest) > 1 else Priority.INTERACTIVE
    sys.exit(asyncio.run(main(url, api, name, int(n), offset, priority)))
