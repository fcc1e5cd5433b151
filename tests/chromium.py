"""Headless Chromium (Debian's `chromium`) for end-to-end tests, driven over the DevTools
protocol on a websocket: open pages, evaluate JavaScript, take screenshots.

    from tests.chromium import chromium_fixture  # noqa: F401
    async def test_page(chromium: Chromium) -> None:
        page = await chromium.open("http://127.0.0.1:…/")
        assert await page.evaluate("document.title") == "…"
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--mute-audio",
    "--autoplay-policy=no-user-gesture-required",
    "--window-size=1280,900",
    "--remote-debugging-port=0",
)
START_TIMEOUT = 30.0


class DevToolsError(Exception):
    """The browser answered a DevTools command with an error, or a script threw."""


class Chromium:
    """One browser process and its DevTools connection."""

    def __init__(self, process: asyncio.subprocess.Process, socket: ClientConnection) -> None:
        self.process = process
        self._socket = socket
        self._ids = itertools.count(1)
        self._waiting: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._reader = asyncio.create_task(self._read())

    async def send(
        self, method: str, params: dict[str, Any] | None = None, session: str | None = None
    ) -> dict[str, Any]:
        number = next(self._ids)
        answer: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiting[number] = answer
        message: dict[str, Any] = {"id": number, "method": method, "params": params or {}}
        if session is not None:
            message["sessionId"] = session
        await self._socket.send(json.dumps(message))
        return await answer

    async def open(self, url: str) -> Page:
        target = await self.send("Target.createTarget", {"url": url})
        attached = await self.send(
            "Target.attachToTarget", {"targetId": target["targetId"], "flatten": True}
        )
        page = Page(self, attached["sessionId"])
        await page.send("Runtime.enable")
        return page

    async def _read(self) -> None:
        async for raw in self._socket:
            message = json.loads(raw)
            answer = self._waiting.pop(message.get("id", -1), None)
            if answer is None or answer.done():
                continue  # an event: these tests ask for state instead
            if "error" in message:
                answer.set_exception(DevToolsError(message["error"].get("message", message)))
            else:
                answer.set_result(message.get("result", {}))

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self.send("Browser.close")
        await self._socket.close()
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader
        try:
            async with asyncio.timeout(10):
                await self.process.wait()
        except TimeoutError:
            self.process.kill()
            await self.process.wait()


class Page:
    """A tab, attached with its own DevTools session."""

    def __init__(self, browser: Chromium, session: str) -> None:
        self._browser, self._session = browser, session

    async def send(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        return await self._browser.send(method, params, self._session)

    async def evaluate(self, expression: str) -> Any:
        result = await self.send(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
        )
        if "exceptionDetails" in result:
            raise DevToolsError(result["exceptionDetails"].get("text", "script error"))
        return result["result"].get("value")

    async def wait_until(self, expression: str, timeout: float, every: float = 0.25) -> Any:  # noqa: ASYNC109
        """Evaluate `expression` until it is truthy; the browser has no event to wait on, so
        this is a bounded poll of the other process's state."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            value = await self.evaluate(expression)
            if value:
                return value
            if loop.time() > deadline:
                raise TimeoutError(f"{expression!r} stayed falsy for {timeout} s")
            await asyncio.sleep(every)

    async def screenshot(self, clip: dict[str, float] | None = None) -> bytes:
        """A PNG of the page, or of `clip` ({x, y, width, height} in CSS pixels)."""
        params: dict[str, Any] = {"format": "png"}
        if clip is not None:
            params["clip"] = {**clip, "scale": 1}
        shot = await self.send("Page.captureScreenshot", params)
        return base64.b64decode(shot["data"])


@contextlib.asynccontextmanager
async def launch(profile: Path) -> AsyncIterator[Chromium]:
    """Start Chromium with a fresh profile in `profile`; it listens on a port it picks."""
    binary = shutil.which("chromium")
    if binary is None:
        pytest.skip("Debian's chromium is not installed (./dev test installs it)")
    await asyncio.to_thread(profile.mkdir, parents=True, exist_ok=True)
    process = await asyncio.create_subprocess_exec(
        binary,
        *FLAGS,
        f"--user-data-dir={profile}",
        "about:blank",
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        port, path = await _devtools_address(profile, process)
        async with connect(f"ws://127.0.0.1:{port}{path}", max_size=64 * 1024 * 1024) as socket:
            browser = Chromium(process, socket)
            try:
                yield browser
            finally:
                await browser.close()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def _devtools_address(profile: Path, process: asyncio.subprocess.Process) -> tuple[int, str]:
    """Chromium writes its port and browser target path to DevToolsActivePort once it
    listens; there is no other signal to wait for, so poll the file with a deadline."""
    active = profile / "DevToolsActivePort"
    loop = asyncio.get_running_loop()
    deadline = loop.time() + START_TIMEOUT
    while loop.time() < deadline:
        if process.returncode is not None:
            raise RuntimeError(f"chromium exited with status {process.returncode}")
        lines = await asyncio.to_thread(_read_lines, active)
        if len(lines) >= 2:
            return int(lines[0]), lines[1]
        await asyncio.sleep(0.1)
    raise TimeoutError("chromium did not open its DevTools port")


def _read_lines(path: Path) -> list[str]:
    try:
        return path.read_text().splitlines()
    except FileNotFoundError:
        return []


@pytest.fixture(name="chromium")
async def chromium_fixture(tmp_path: Path) -> AsyncIterator[Chromium]:
    async with launch(tmp_path / "chromium-profile") as browser:
        yield browser
