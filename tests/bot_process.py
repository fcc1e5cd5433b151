"""`mvbot run` as a real process for crash tests: started on a free port, its log read as it
comes, and stopped with SIGTERM (a test that kills it with SIGKILL first is fine)."""

from __future__ import annotations

import asyncio
import os
import re
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
START_WAIT = 60.0  # seconds: a bound on the start and on the stop; each takes a few
LISTENING = re.compile(r"web server listening url=(\S+)")


@dataclass
class BotProcess:
    """A running `mvbot run`: its process, its web server's URL and its log so far."""

    process: asyncio.subprocess.Process
    url: str = ""
    log: list[str] = field(default_factory=list)
    logged: asyncio.Condition = field(default_factory=asyncio.Condition)  # a line came

    async def wait_for_line(self, pattern: str, timeout: float) -> str:  # noqa: ASYNC109
        """The first log line matching `pattern` (a regular expression), once it comes."""
        found = re.compile(pattern)
        async with asyncio.timeout(timeout), self.logged:
            while True:
                for line in self.log:
                    if found.search(line):
                        return line
                await self.logged.wait()


def process_env(settings: dict[str, str]) -> dict[str, str]:
    """This process's environment less any MVBOT_ setting of the caller's, plus `settings`."""
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("MVBOT_")}
    return {**inherited, "MVBOT_HTTP_HOST": "127.0.0.1", "MVBOT_HTTP_PORT": "0", **settings}


async def start_mvbot_run(settings: dict[str, str]) -> asyncio.subprocess.Process:
    """`mvbot run` with `settings` (MVBOT_* variables), its standard error piped."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "run",
        cwd=ROOT,
        env=process_env(settings),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )


@asynccontextmanager
async def mvbot_run(settings: dict[str, str]) -> AsyncIterator[BotProcess]:
    """`mvbot run` with `settings` (MVBOT_* variables), up once its web server listens."""
    process = await start_mvbot_run(settings)
    bot = BotProcess(process)
    listening: asyncio.Future[str] = asyncio.get_running_loop().create_future()

    async def read() -> None:
        assert process.stderr is not None
        async for raw in process.stderr:  # drained to the end: a full pipe would block mvbot
            line = raw.decode(errors="replace").rstrip()
            bot.log.append(line)
            async with bot.logged:
                bot.logged.notify_all()
            found = LISTENING.search(line)
            if found and not listening.done():
                listening.set_result(found.group(1))
        if not listening.done():
            listening.set_exception(RuntimeError("mvbot exited:\n" + "\n".join(bot.log[-30:])))

    reader = asyncio.create_task(read())
    try:
        bot.url = await asyncio.wait_for(listening, START_WAIT)
        yield bot
    finally:
        if process.returncode is None:
            process.terminate()  # a graceful stop: what it was doing ends in the record
            try:
                await asyncio.wait_for(process.wait(), START_WAIT)
            except TimeoutError:
                process.kill()
                await process.wait()
        await reader
