"""What counting a PIN attempt in the store costs, against the PBKDF2 check it guards.

Baseline: `pin_matches` (PBKDF2-SHA256, 120,000 iterations), which every evaluated attempt
pays. Measured: `PinLockout.admit` on a SQLite file (one transaction: ensure two rows, read
them, update them), sequentially and as bursts of 50 at once on one link and address.
Run: `.venv/bin/python bench/pin_admission.py [--runs N]`.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from bot.shares.credentials import pin_hash, pin_matches
from bot.shares.lockout import PinLockout
from bot.store import create_database_engine, migrate


async def main(runs: int) -> None:
    stored = pin_hash("123456")
    pbkdf2 = []
    for _ in range(runs):
        start = time.perf_counter()
        await asyncio.to_thread(pin_matches, "654321", stored)
        pbkdf2.append(time.perf_counter() - start)

    with tempfile.TemporaryDirectory() as folder:
        engine = create_database_engine(f"sqlite:///{Path(folder) / 'bench.db'}")
        await asyncio.to_thread(migrate, engine)
        pins = PinLockout(engine, lambda: datetime.now(UTC))
        admit = []
        for _ in range(runs):
            link = uuid.uuid4().hex  # a fresh link each time: never locked out
            start = time.perf_counter()
            await pins.admit(link, "198.51.100.7")
            admit.append(time.perf_counter() - start)
        bursts, admitted = [], []
        for _ in range(runs):
            link = uuid.uuid4().hex
            start = time.perf_counter()
            results = await asyncio.gather(*(pins.admit(link, "198.51.100.7") for _ in range(50)))
            bursts.append(time.perf_counter() - start)
            admitted.append(sum(r.allowed for r in results))
        engine.dispose()

    base, mine = statistics.median(pbkdf2), statistics.median(admit)
    print(f"runs: {runs}")
    print(f"pin_matches (baseline), median: {base * 1000:.1f} ms")
    print(f"PinLockout.admit on SQLite, median: {mine * 1000:.2f} ms")
    print(f"ratio admit / pin_matches: {mine / base:.3f}")
    print(f"burst of 50 admits at once, median wall: {statistics.median(bursts) * 1000:.0f} ms")
    print(f"admitted per burst: {sorted(set(admitted))}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=20)
    asyncio.run(main(parser.parse_args().runs))
