"""SQLite serves one process: a second `mvbot run` on the same data is refused in one line,
and a kill -9 of the first leaves no stale lock behind."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from bot.store.one_process import holding_sqlite
from simulator import SimulatorServer
from tests.bot_fixtures import API_KEY, bot_simulator_fixture  # noqa: F401
from tests.bot_process import START_WAIT, mvbot_run, start_mvbot_run


def run_env(simulator: SimulatorServer, data: Path) -> dict[str, str]:
    return {
        "MVBOT_MERAKI_API_KEY": API_KEY,
        "MVBOT_MERAKI_BASE_URL": simulator.api_url,
        "MVBOT_DATA_DIR": str(data),
    }


async def second_run(env: dict[str, str]) -> tuple[int, str]:
    process = await start_mvbot_run(env)
    try:
        _, stderr = await asyncio.wait_for(process.communicate(), START_WAIT)
    finally:
        if process.returncode is None:  # it started after all: the test fails, leak nothing
            process.kill()
            await process.wait()
    assert process.returncode is not None
    return process.returncode, stderr.decode()


async def test_a_second_process_on_one_sqlite_file_is_refused(
    bot_simulator: SimulatorServer, tmp_path: Path
) -> None:
    env = run_env(bot_simulator, tmp_path / "data")
    async with mvbot_run(env) as first:
        code, stderr = await second_run(env)
        assert code != 0
        lines = [line for line in stderr.splitlines() if line.strip()]
        assert "another mvbot process" in lines[-1], stderr
        assert f"pid {first.process.pid}" in lines[-1]
        assert "Traceback" not in stderr
        assert first.process.returncode is None  # the first one runs on, untouched
        first.process.kill()
        await first.process.wait()
    # The kernel freed the lock with the killed process: the next start succeeds.
    async with mvbot_run({**env, "MVBOT_REPLICA_ID": "gate-a"}) as again:
        async with httpx.AsyncClient() as client:
            health = (await client.get(f"{again.url}/healthz")).json()
            metrics = (await client.get(f"{again.url}/metrics")).text
        # The killed first process is listed too until its last heartbeat is a lease old.
        (row,) = [r for r in health.pop("replicas") if r["id"] == "gate-a"]
        assert health == {
            "status": "ok",
            "replica": "gate-a",
            "role": "leader",  # alone on SQLite
            "broker": "off",
            "store": "ok",
        }
        assert (row["id"], row["role"], row["url"]) == ("gate-a", "leader", again.url)
        assert 'mvbot_tasks{replica="gate-a"}' in metrics


def test_postgresql_and_memory_urls_take_no_lock(tmp_path: Path) -> None:
    for url in ("postgresql+psycopg://postgres@127.0.0.1:1/test", "sqlite://"):
        with holding_sqlite(url), holding_sqlite(url):
            pass
    assert not list(tmp_path.iterdir())
