"""A fake Slack over real HTTP for end-to-end tests (what to send the bot: slack_requests.py).

`FakeSlack` answers the Web API methods the adapter calls (auth.test, users.info,
users.lookupByEmail, chat.postMessage, chat.update, chat.postEphemeral, the
files_upload_v2 trio with an upload URL on itself, files.info (with a
`url_private_download` on itself that wants the bot token), apps.connections.open, and
conversations.history / conversations.replies over what the bot posted, with message
metadata when asked for `include_all_metadata` as Slack does), the
response_urls it hands out, and a Socket Mode WebSocket. It is as strict as Slack where
mvbot has been wrong: a `thread_ts` that is no message of that channel (the bot's, or one
a test `said`) is `invalid_thread_ts`, an edit of an unknown ts `message_not_found`, and
an image block naming a file not completed (or, with `image_lag`, not yet processed)
`invalid_blocks`. It records every request as a
`Call`, can hold a method until released, answer 429 with Retry-After, or refuse a
channel as Slack does when the bot is not a member. Tests wait on `wait_for`, never on
sleeps.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
import urllib.parse
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from bot.web.server import web_server

BOT_TOKEN = "xoxb-fake-bot-token"
APP_TOKEN = "xapp-fake-app-token"
SIGNING_SECRET = "fake-signing-secret"
BOT_USER = "UBOT"
TEAM = "T0FAKE"
PUBLIC_URL = "https://mvbot.example.com"  # where download links point (not fetched)

Match = Callable[["Call"], bool]


@dataclass(frozen=True)
class Call:
    """One request the fake received: a Web API method, "upload", "download", "response" or
    "socket.ack"."""

    method: str
    params: Mapping[str, Any]
    headers: Mapping[str, str] = field(default_factory=dict)
    at: float = field(default_factory=time.monotonic)  # when the fake received it


@dataclass
class _Fault:
    status: int
    retry_after: int
    times: int


def default_users() -> dict[str, dict[str, Any]]:
    return {
        # U1 is a viewer by id, U2 by e-mail (tests/bot_fixtures.py DEFAULT_ACCESS).
        "U1": {
            "tz": "Europe/Amsterdam",
            "profile": {"display_name": "ana", "email": "ana@example.com"},
        },
        "U2": {
            "tz": "America/New_York",
            "profile": {"display_name": "bo", "email": "viewer@example.com"},
        },
        "U9": {"tz": "UTC", "profile": {"display_name": "stranger", "email": "u9@example.com"}},
    }


class FakeSlack:
    """Start with `async with running_fake_slack(tmp_path) as fake:`."""

    def __init__(self, files: Path, users: Mapping[str, Mapping[str, Any]] | None = None) -> None:
        self.files = files
        self.users = dict(users if users is not None else default_users())
        self.calls: list[Call] = []
        self.uploads: dict[str, Path] = {}  # file id -> the bytes received, on disk
        self.url = ""
        self._changed = asyncio.Condition()
        self._faults: dict[str, _Fault] = {}
        self._held: dict[str, asyncio.Event] = {}
        self._refused: set[str] = set()
        self._answered_first: set[str] = set()
        self._ts = itertools.count(1)
        self._socket: WebSocket | None = None
        self._socket_open = asyncio.Event()
        self._acks: dict[str, asyncio.Future[dict[str, Any]]] = {}
        # What the bot posted, per channel, as conversations.history would list it.
        self.history: dict[str, list[dict[str, Any]]] = {}
        self._file_names: dict[str, str] = {}
        self._said: dict[str, set[str]] = {}  # channel -> ts of people's messages
        self._unprocessed: dict[str, int] = {}  # completed file id -> refusals left
        self._shares: dict[str, dict[str, list[str]]] = {}  # file id -> channel -> ts
        self._hidden_shares: dict[str, int] = {}  # file id -> files.info without shares
        self.image_lag = 0  # refusals of a fresh image in a message before it is usable
        self.share_lag = 0  # files.info answers before a fresh share is listed

    # Controls ----------------------------------------------------------------------

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/"

    def response_url(self) -> str:
        return f"{self.url}/response/{next(self._ts)}"

    def fail_next(
        self, method: str, *, status: int = 429, retry_after: int = 1, times: int = 1
    ) -> None:
        self._faults[method] = _Fault(status, retry_after, times)

    def hold(self, method: str, *, answered: bool = False) -> asyncio.Event:
        """Requests for `method` wait (after being recorded) until the event is set; with
        `answered`, Slack acts on them first (the message exists) and only the answer
        waits, as when the bot dies before it hears back."""
        self._held[method] = gate = asyncio.Event()
        if answered:
            self._answered_first.add(method)
        return gate

    def release_all(self) -> None:
        for gate in self._held.values():
            gate.set()

    def said(self, channel: str, ts: str) -> None:
        """A person's message at `ts` in `channel`: the bot may answer in its thread."""
        self._said.setdefault(channel, set()).add(ts)

    def message(self, channel: str, ts: str) -> dict[str, Any] | None:
        """The bot's message at `ts` in `channel` as it stands now (after any edits)."""
        return next((m for m in self.history.get(channel, ()) if m["ts"] == ts), None)

    def refuse_channel(self, channel: str) -> None:
        """Posts to `channel` fail with not_in_channel, as when the bot was not invited."""
        self._refused.add(channel)

    # Looking at what was received ----------------------------------------------------

    def add_file(self, name: str, data: bytes) -> str:
        """A file a person uploaded to Slack (to post with a command); its file id."""
        file_id = f"F{next(self._ts):06d}"
        path = self.files / f"{file_id}-shared"
        path.write_bytes(data)
        self._file_names[file_id] = name
        self.uploads[file_id] = path
        return file_id

    def to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    async def wait_for(self, match: Match, timeout: float = 30.0) -> Call:  # noqa: ASYNC109
        def found() -> Call | None:
            return next((c for c in self.calls if match(c)), None)

        async with asyncio.timeout(timeout), self._changed:
            await self._changed.wait_for(lambda: found() is not None)
        call = found()
        assert call is not None
        return call

    async def _record(self, call: Call) -> None:
        async with self._changed:
            self.calls.append(call)
            self._changed.notify_all()

    # Socket Mode ------------------------------------------------------------------

    async def push(self, kind: str, payload: Mapping[str, Any]) -> dict[str, Any]:
        """Send an envelope over the bot's Socket Mode connection; return the bot's ack
        (the caller bounds the wait)."""
        await self._socket_open.wait()
        assert self._socket is not None
        envelope_id = f"env-{next(self._ts)}"
        answered = self._acks[envelope_id] = asyncio.get_running_loop().create_future()
        await self._socket.send_text(
            json.dumps(
                {
                    "envelope_id": envelope_id,
                    "type": kind,
                    "payload": payload,
                    "accepts_response_payload": kind != "events_api",
                    "retry_attempt": 0,
                    "retry_reason": "",
                }
            )
        )
        ack: dict[str, Any] = await answered
        return ack

    async def _socket_endpoint(self, socket: WebSocket) -> None:
        await socket.accept()
        self._socket = socket
        await socket.send_text(json.dumps({"type": "hello", "num_connections": 1}))
        self._socket_open.set()
        try:
            while True:
                ack = json.loads(await socket.receive_text())
                await self._record(Call("socket.ack", ack))
                waiter = self._acks.pop(str(ack.get("envelope_id")), None)
                if waiter is not None and not waiter.done():
                    waiter.set_result(ack)
        except WebSocketDisconnect:
            pass
        finally:
            self._socket = None
            self._socket_open.clear()

    # The Web API ----------------------------------------------------------------------

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/api/{method}", self._api, methods=["GET", "POST"]),
                Route("/upload/{file_id}", self._upload, methods=["POST"]),
                Route("/private/{file_id}", self._private, methods=["GET"]),
                Route("/response/{n}", self._response, methods=["POST"]),
                WebSocketRoute("/socket", self._socket_endpoint),
            ]
        )

    async def _api(self, request: Request) -> Response:
        method = request.path_params["method"]
        params: dict[str, Any] = dict(request.query_params)
        body = await request.body()
        if request.headers.get("content-type", "").startswith("application/json"):
            params.update(json.loads(body or b"{}"))
        elif body:
            params.update(urllib.parse.parse_qsl(body.decode()))
        await self._record(Call(method, params, dict(request.headers)))
        if method in self._held and method not in self._answered_first:
            await self._held[method].wait()
        response = self._respond(method, params, request.headers.get("authorization"))
        if method in self._held:
            await self._held[method].wait()
        return response

    def _respond(self, method: str, params: dict[str, Any], authorization: str | None) -> Response:
        fault = self._faults.get(method)
        if fault is not None and fault.times > 0:
            fault.times -= 1
            return JSONResponse(
                {"ok": False, "error": "ratelimited"},
                status_code=fault.status,
                headers={"Retry-After": str(fault.retry_after)},
            )
        expected = APP_TOKEN if method == "apps.connections.open" else BOT_TOKEN
        if authorization != f"Bearer {expected}":
            return JSONResponse({"ok": False, "error": "invalid_auth"})
        channel = params.get("channel") or params.get("channel_id")
        if channel in self._refused:
            return JSONResponse({"ok": False, "error": "not_in_channel"})
        return JSONResponse(self._answer(method, params))

    def _answer(self, method: str, params: Mapping[str, Any]) -> dict[str, Any]:
        ts = f"{int(time.time())}.{next(self._ts):06d}"
        if method == "auth.test":
            return {"ok": True, "user_id": BOT_USER, "user": "mvbot", "team_id": TEAM}
        if method == "users.info":
            user = self.users.get(str(params.get("user")))
            if user is None:
                return {"ok": False, "error": "user_not_found"}
            return {"ok": True, "user": {"id": params["user"], "name": "person", **user}}
        if method == "users.lookupByEmail":
            for user_id, user in self.users.items():
                if user["profile"]["email"] == params.get("email"):
                    return {"ok": True, "user": {"id": user_id, "name": "person", **user}}
            return {"ok": False, "error": "users_not_found"}
        if method == "chat.postMessage":
            refused = self._refusal(str(params["channel"]), params)
            if refused is not None:
                return refused
            self._keep(params["channel"], ts, params, metadata=params.get("metadata"))
            return {"ok": True, "channel": params["channel"], "ts": ts}
        if method == "chat.update":
            return self._update(params)
        if method == "files.info":
            return self._file_info(str(params.get("file")))
        if method in ("conversations.history", "conversations.replies"):
            return self._history(method, params)
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": ts}
        if method == "files.getUploadURLExternal":
            file_id = f"F{next(self._ts):06d}"
            self._file_names[file_id] = str(params.get("filename", ""))
            return {"ok": True, "file_id": file_id, "upload_url": f"{self.url}/upload/{file_id}"}
        if method == "files.completeUploadExternal":
            files = json.loads(params["files"])
            if any(f["id"] not in self._file_names for f in files):
                return {"ok": False, "error": "file_not_found"}
            channel = params.get("channel_id")
            if channel:
                refused = self._refusal(str(channel), params)
                if refused is not None:
                    return refused
                shared = [{"id": f["id"], "name": self._file_names[f["id"]]} for f in files]
                self._keep(str(channel), ts, params, files=shared)
            for f in files:
                self._unprocessed[f["id"]] = self.image_lag
                self._hidden_shares[f["id"]] = self.share_lag
                if channel:
                    self._shares.setdefault(f["id"], {}).setdefault(str(channel), []).append(ts)
            return {"ok": True, "files": [{"id": f["id"], "title": f.get("title")} for f in files]}
        if method == "apps.connections.open":
            return {"ok": True, "url": self.url.replace("http", "ws", 1) + "/socket"}
        return {"ok": False, "error": "unknown_method"}

    def _refusal(self, channel: str, params: Mapping[str, Any]) -> dict[str, Any] | None:
        """Slack's answer to a post it will not take, or None."""
        thread = params.get("thread_ts")
        held = {m["ts"] for m in self.history.get(channel, ())} | self._said.get(channel, set())
        if thread and thread not in held:
            # Seen answered by Slack for a thread_ts it does not know (not in its docs).
            return {"ok": False, "error": "invalid_thread_ts"}
        errors = [
            f"invalid slack file [json-pointer:/blocks/{index}/slack_file]"
            for index, block in enumerate(_blocks(params))
            if block.get("type") == "image" and not self._usable(block)
        ]
        if errors:
            return {"ok": False, "error": "invalid_blocks", "errors": errors}
        return None

    def _usable(self, block: Mapping[str, Any]) -> bool:
        if "slack_file" not in block:
            return "image_url" in block
        file_id = str((block.get("slack_file") or {}).get("id"))
        left = self._unprocessed.get(file_id)
        if left is None:
            return False  # never completed: Slack knows no such file
        if left > 0:
            self._unprocessed[file_id] = left - 1
            return False
        return True

    def _update(self, params: Mapping[str, Any]) -> dict[str, Any]:
        channel = str(params["channel"])
        message = self.message(channel, str(params.get("ts")))
        if message is None:
            return {"ok": False, "error": "message_not_found"}
        refused = self._refusal(channel, {"blocks": params.get("blocks")})
        if refused is not None:
            return refused
        message["text"] = params.get("text") or ""
        message["blocks"] = _blocks(params)
        message["edited"] = {"user": BOT_USER}
        return {"ok": True, "channel": channel, "ts": message["ts"]}

    def _file_info(self, file_id: str) -> dict[str, Any]:
        if file_id not in self._file_names:
            return {"ok": False, "error": "file_not_found"}
        hidden = self._hidden_shares.get(file_id, 0)
        shares: dict[str, dict[str, list[dict[str, str]]]] = {}
        if hidden > 0:
            self._hidden_shares[file_id] = hidden - 1  # Slack makes shares asynchronously
        else:
            for channel, stamps in self._shares.get(file_id, {}).items():
                kind = "public" if channel.startswith("C") else "private"
                shares.setdefault(kind, {})[channel] = [{"ts": t} for t in stamps]
        file: dict[str, Any] = {"id": file_id, "name": self._file_names[file_id], "shares": shares}
        if file_id in self.uploads:
            file["size"] = self.uploads[file_id].stat().st_size
            file["url_private_download"] = f"{self.url}/private/{file_id}"
        return {"ok": True, "file": file}

    async def _private(self, request: Request) -> Response:
        """A file's bytes, for the bot token only (Slack's url_private_download)."""
        file_id = request.path_params["file_id"]
        await self._record(Call("download", {"file_id": file_id}, dict(request.headers)))
        if request.headers.get("authorization") != f"Bearer {BOT_TOKEN}":
            return Response("not authorized", status_code=403)
        path = self.uploads.get(file_id)
        if path is None:
            return Response("no such file", status_code=404)
        return Response(path.read_bytes(), media_type="application/octet-stream")

    def _keep(
        self,
        channel: str,
        ts: str,
        params: Mapping[str, Any],
        *,
        metadata: Any = None,
        files: list[dict[str, str]] | None = None,
    ) -> None:
        message: dict[str, Any] = {"type": "message", "user": BOT_USER, "ts": ts}
        message["text"] = params.get("text") or params.get("initial_comment") or ""
        if params.get("thread_ts"):
            message["thread_ts"] = params["thread_ts"]
        if metadata:
            message["metadata"] = json.loads(metadata) if isinstance(metadata, str) else metadata
        if files:
            message["files"] = files
        if params.get("blocks"):
            message["blocks"] = _blocks(params)
        self.history.setdefault(channel, []).append(message)

    def _history(self, method: str, params: Mapping[str, Any]) -> dict[str, Any]:
        """Newest first, like Slack: a channel's top level, or one thread (parent first)."""
        messages = self.history.get(str(params.get("channel")), [])
        if method == "conversations.replies":
            parent = str(params.get("ts"))
            listed = [m for m in messages if parent in (m["ts"], m.get("thread_ts"))]
        else:
            listed = [m for m in reversed(messages) if "thread_ts" not in m]
        oldest = float(params.get("oldest") or 0)
        listed = [m for m in listed if float(m["ts"]) >= oldest]
        if str(params.get("include_all_metadata")).lower() not in ("1", "true"):
            listed = [{k: v for k, v in m.items() if k != "metadata"} for m in listed]
        return {"ok": True, "messages": listed, "has_more": False}

    async def _upload(self, request: Request) -> Response:
        file_id = request.path_params["file_id"]
        path = self.files / file_id
        size = 0
        with path.open("wb") as out:  # a test fake: small files on a local disk
            async for chunk in request.stream():
                out.write(chunk)
                size += len(chunk)
        self.uploads[file_id] = path
        await self._record(
            Call("upload", {"file_id": file_id, "size": size}, dict(request.headers))
        )
        return Response("OK - " + str(size), media_type="text/plain")

    async def _response(self, request: Request) -> Response:
        payload = json.loads(await request.body())
        await self._record(Call("response", {"url": str(request.url), **payload}))
        return Response("ok", media_type="text/plain")


def _blocks(params: Mapping[str, Any]) -> list[dict[str, Any]]:
    found = params.get("blocks") or []
    parsed = json.loads(found) if isinstance(found, str) else found
    return list(parsed)


@asynccontextmanager
async def running_fake_slack(
    files: Path, users: Mapping[str, Mapping[str, Any]] | None = None
) -> AsyncIterator[FakeSlack]:
    await asyncio.to_thread(files.mkdir, parents=True, exist_ok=True)
    fake = FakeSlack(files, users)
    async with web_server(fake.app(), "127.0.0.1", 0) as server:
        fake.url = server.url
        try:
            yield fake
        finally:
            fake.release_all()  # a held request would keep the server from stopping


@pytest.fixture(name="fake")
async def fake_slack_fixture(tmp_path: Path) -> AsyncIterator[FakeSlack]:
    """A started fake Slack keeping its uploads under tmp_path/slack."""
    async with running_fake_slack(tmp_path / "slack") as started:
        yield started


def message_to(channel: str) -> Match:
    """Matches a chat.postMessage to `channel`."""
    return lambda call: call.method == "chat.postMessage" and call.params["channel"] == channel


def upload_to(channel: str, thread: str | None = None) -> Match:
    """Matches the completion of an upload shared into `channel` (and `thread`)."""

    def match(call: Call) -> bool:
        return (
            call.method == "files.completeUploadExternal"
            and call.params.get("channel_id") == channel
            and call.params.get("thread_ts") == thread
        )

    return match
