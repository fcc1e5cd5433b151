"""A fake Webex REST API over real HTTP (Starlette + uvicorn on a free port) for tests.

It answers what webexpythonsdk asks of it — people/me, people/{id}, messages (get; list a
room or thread, newest first, with each message's card attachments; create as JSON or as
multipart/form-data with one file; edit), attachment/actions/{id}, webhooks
(list, create, update, delete) — checks the bearer token and the limits Webex enforces,
records every request it received, and can be told to answer 429 (with Retry-After) or
5xx. It runs in the test's event loop, so a test awaits `wait_for_post` instead of polling.

A test module imports the fixture with `from tests.fake_webex import fake_webex_fixture`.
"""

from __future__ import annotations

import asyncio
import base64
import email.parser
import email.policy
import itertools
import json
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.web.server import web_server

Json = dict[str, Any]

TOKEN = "webex-test-token"
MARKDOWN_LIMIT = 7439
EDIT_LIMIT = 10


def webex_id(kind: str, name: str) -> str:
    """An id shaped like Webex's: base64 of `ciscospark://us/<KIND>/<name>`, unpadded."""
    return base64.b64encode(f"ciscospark://us/{kind}/{name}".encode()).decode().rstrip("=")


BOT_ID = webex_id("PEOPLE", "9f6d1c2a-bot")
BOT: Json = {
    "id": BOT_ID,
    "emails": ["mvbot@webex.bot"],
    "displayName": "mvbot",
    "type": "bot",
}


def now_text() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


@dataclass(frozen=True)
class UploadedFile:
    name: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class Received:
    """One request as the fake received it."""

    method: str
    path: str  # below the API root, e.g. "messages" or "webhooks/<id>"
    headers: Mapping[str, str]
    body: Mapping[str, Any]  # the JSON object, or the multipart form's text fields
    file: UploadedFile | None = None


@dataclass
class Fault:
    method: str
    path: str  # a prefix of Received.path
    status: int
    retry_after: int | None
    remaining: int


@dataclass
class Posted:
    """A message the bot created, with its file."""

    message: Json
    file: UploadedFile | None = None
    edits: list[str] = field(default_factory=list)


def parse_multipart(content_type: str, body: bytes) -> tuple[dict[str, str], UploadedFile | None]:
    head = f"Content-Type: {content_type}\r\n\r\n".encode()
    parsed = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    if not parsed.is_multipart():
        raise ValueError("not multipart")
    fields: dict[str, str] = {}
    upload: UploadedFile | None = None
    for part in parsed.iter_parts():
        name = part.get_param("name", header="content-disposition")
        data = part.get_payload(decode=True)
        assert isinstance(name, str) and isinstance(data, bytes), part
        filename = part.get_filename()
        if filename is not None:
            if upload is not None:
                raise ValueError("more than one file")
            upload = UploadedFile(filename, part.get_content_type(), data)
        else:
            fields[name] = data.decode()
    return fields, upload


def _error(status: int, message: str, headers: Mapping[str, str] | None = None) -> Response:
    return JSONResponse({"message": message, "trackingId": "FAKE_1"}, status, headers=headers)


class FakeWebex:
    """The fake cloud's state: people, spaces' messages, card actions and webhooks."""

    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        self.url = ""  # the API root, set when the server starts
        self.people: dict[str, Json] = {BOT_ID: dict(BOT)}
        self.messages: dict[str, Json] = {}
        self.contents: dict[str, bytes] = {}  # message id -> the file a person attached
        self.actions: dict[str, Json] = {}
        self.webhooks: dict[str, Json] = {}
        self.received: list[Received] = []
        self.posted: list[Posted] = []
        self.room_types: dict[str, str] = {}
        # Webex documents that a bot lists a group space's messages only with
        # mentionedPeople=me; whether it refuses otherwise is unverified: a test may say so.
        self.refuse_listing = False
        self._faults: list[Fault] = []
        self._ids = itertools.count(1)
        self._changed = asyncio.Condition()

    # Test-side helpers -----------------------------------------------------------------

    def fail(
        self, method: str, path: str, status: int, *, times: int = 1, retry_after: int | None = None
    ) -> None:
        """Answer the next `times` requests to `path` (a prefix) with `status`."""
        self._faults.append(Fault(method, path, status, retry_after, times))

    def add_person(
        self, name: str, email: str, *, time_zone: str | None = None, person_id: str | None = None
    ) -> Json:
        person: Json = {
            "id": person_id or webex_id("PEOPLE", name.lower().replace(" ", "-")),
            "emails": [email],
            "displayName": name,
            "type": "person",
        }
        if time_zone:
            person["timezone"] = time_zone
        self.people[person["id"]] = person
        return person

    def user_message(
        self,
        person: Json,
        text: str,
        *,
        room: str = "room-group",
        room_type: str = "group",
        html: str | None = None,
        parent_id: str | None = None,
        file: bytes | None = None,
    ) -> Json:
        """Store a message someone wrote (with a `file` attached); the webhook delivery that
        announces it."""
        self.room_types[room] = room_type
        message = {
            "id": webex_id("MESSAGE", f"user-{next(self._ids)}"),
            "roomId": room,
            "roomType": room_type,
            "text": text,
            "personId": person["id"],
            "personEmail": person["emails"][0],
            "created": now_text(),
        }
        if html is not None:
            message["html"] = html
        if parent_id is not None:
            message["parentId"] = parent_id
        if file is not None:
            self.contents[message["id"]] = file
            message["files"] = [f"{self.url}contents/{message['id']}/0"]
        self.messages[message["id"]] = message
        return self.delivery("messages", message)

    def card_press(self, card: Json, person: Json, inputs: Mapping[str, Any]) -> Json:
        """Someone pressed a button on `card` (a message with a card)."""
        action = {
            "id": webex_id("ATTACHMENT_ACTION", f"action-{next(self._ids)}"),
            "type": "submit",
            "messageId": card["id"],
            "inputs": dict(inputs),
            "personId": person["id"],
            "roomId": card["roomId"],
            "created": now_text(),
        }
        self.actions[action["id"]] = action
        return self.delivery("attachmentActions", action)

    def delivery(self, resource: str, data: Mapping[str, Any]) -> Json:
        fields = ("id", "roomId", "roomType", "personId", "personEmail", "messageId", "created")
        return {
            "id": webex_id("WEBHOOK", resource),
            "name": f"mvbot {resource}",
            "targetUrl": "https://mvbot.example/webex/events",
            "resource": resource,
            "event": "created",
            "orgId": webex_id("ORGANIZATION", "org"),
            "createdBy": BOT_ID,
            "appId": webex_id("APPLICATION", "app"),
            "ownedBy": "creator",
            "status": "active",
            "actorId": data["personId"],
            "data": {k: data[k] for k in fields if k in data},
        }

    def calls(self, method: str | None = None, path: str = "") -> list[Received]:
        return [
            r
            for r in self.received
            if (method is None or r.method == method) and r.path.startswith(path)
        ]

    async def wait_for_post(self, match: Callable[[Posted], bool], timeout: float) -> Posted:  # noqa: ASYNC109
        """The first message the bot created (already or yet to come) that `match` accepts."""

        def found() -> Posted | None:
            return next((p for p in self.posted if match(p)), None)

        async with asyncio.timeout(timeout), self._changed:
            await self._changed.wait_for(lambda: found() is not None)
        posted = found()
        assert posted is not None
        return posted

    # The HTTP side -----------------------------------------------------------------------

    def app(self) -> Starlette:
        def route(path: str, endpoint: Callable[..., Any], method: str) -> Route:
            async def handle(request: Request) -> Response:
                return await self._serve(request, endpoint)

            return Route(f"/v1/{path}", handle, methods=[method])

        return Starlette(
            routes=[
                route("people/me", self._me, "GET"),
                route("people/{id}", self._person, "GET"),
                route("messages", self._create_message, "POST"),
                route("messages", self._list_messages, "GET"),
                route("messages/{id}", self._message, "GET"),
                route("messages/{id}", self._edit_message, "PUT"),
                route("attachment/actions/{id}", self._action, "GET"),
                route("contents/{id}/{n}", self._content, "GET"),
                route("webhooks", self._list_webhooks, "GET"),
                route("webhooks", self._create_webhook, "POST"),
                route("webhooks/{id}", self._update_webhook, "PUT"),
                route("webhooks/{id}", self._delete_webhook, "DELETE"),
            ]
        )

    async def _serve(self, request: Request, endpoint: Callable[..., Any]) -> Response:
        raw = await request.body()
        content_type = request.headers.get("content-type", "")
        upload: UploadedFile | None = None
        body: Mapping[str, Any] = {}
        try:
            if content_type.startswith("multipart/form-data"):
                body, upload = parse_multipart(content_type, raw)
            elif raw:
                body = json.loads(raw)
            elif request.method == "GET":
                body = dict(request.query_params)
        except ValueError as error:
            return _error(400, f"unreadable body: {error}")
        path = request.url.path.removeprefix("/v1/")
        self.received.append(Received(request.method, path, dict(request.headers), body, upload))
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return _error(401, "The request requires a valid access token.")
        for fault in self._faults:
            if fault.remaining and fault.method == request.method and path.startswith(fault.path):
                fault.remaining -= 1
                headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after else None
                return _error(fault.status, "injected fault", headers)
        params = request.path_params
        response: Response = await endpoint(body, upload, **params)
        return response

    async def _me(self, body: Json, upload: None) -> Response:
        return JSONResponse(self.people[BOT_ID])

    async def _person(self, body: Json, upload: None, id: str) -> Response:
        if id not in self.people:
            return _error(404, "Person not found.")
        return JSONResponse(self.people[id])

    async def _list_messages(self, body: Json, upload: None) -> Response:
        if not body.get("roomId"):
            return _error(400, "roomId is required")
        if self.refuse_listing:
            return _error(403, "Bots may only list messages that mention them.")
        listed = [
            m
            for m in reversed(self.messages.values())
            if m["roomId"] == body["roomId"]
            and (not body.get("parentId") or m.get("parentId") == body["parentId"])
        ]
        return JSONResponse({"items": listed})

    async def _message(self, body: Json, upload: None, id: str) -> Response:
        if id not in self.messages:
            return _error(404, "Message not found.")
        return JSONResponse(self.messages[id])

    async def _content(self, body: Json, upload: None, id: str, n: str) -> Response:
        if id not in self.contents:
            return _error(404, "The requested resource could not be found.")
        return Response(self.contents[id], media_type="text/csv")

    async def _action(self, body: Json, upload: None, id: str) -> Response:
        if id not in self.actions:
            return _error(404, "Attachment action not found.")
        return JSONResponse(self.actions[id])

    async def _create_message(self, body: Json, upload: UploadedFile | None) -> Response:
        problem = self._message_problem(body, upload)
        if problem:
            return _error(400, problem)
        room, room_type = body.get("roomId"), None
        if room is None and body.get("toPersonEmail"):
            email = str(body["toPersonEmail"]).lower()
            found = [p for p in self.people.values() if email in (e.lower() for e in p["emails"])]
            if not found:
                return _error(404, "Could not find a person with that e-mail")
            body = {**body, "toPersonId": found[0]["id"]}
        if room is None:
            room, room_type = f"direct-{body['toPersonId']}", "direct"
        attachments = body.get("attachments")
        if isinstance(attachments, str):  # a multipart form field
            attachments = json.loads(attachments)
        message = {
            "id": webex_id("MESSAGE", f"bot-{next(self._ids)}"),
            "roomId": room,
            "roomType": room_type or self.room_types.get(room, "group"),
            "markdown": body.get("markdown"),
            "text": body.get("markdown") or body.get("text"),
            "personId": BOT_ID,
            "personEmail": BOT["emails"][0],
            "created": now_text(),
        }
        for key in ("parentId", "toPersonId"):
            if body.get(key):
                message[key] = body[key]
        if attachments:
            message["attachments"] = attachments
        if upload is not None:
            message["files"] = [f"{self.url}contents/{message['id']}/0"]
        self.messages[message["id"]] = message
        async with self._changed:
            self.posted.append(Posted(message, upload))
            self._changed.notify_all()
        return JSONResponse(message)

    def _message_problem(self, body: Mapping[str, Any], upload: UploadedFile | None) -> str:
        if not (body.get("roomId") or body.get("toPersonId") or body.get("toPersonEmail")):
            return "roomId, toPersonId or toPersonEmail is required"
        if body.get("roomId") and (body.get("toPersonId") or body.get("toPersonEmail")):
            return "roomId cannot go with toPersonId/toPersonEmail"
        markdown = str(body.get("markdown") or body.get("text") or "")
        if not markdown and upload is None:
            return "text, markdown or files is required"
        if len(markdown.encode()) > MARKDOWN_LIMIT:
            return f"markdown is longer than {MARKDOWN_LIMIT} bytes"
        if upload is not None and body.get("attachments"):
            return "a message cannot carry both a file and a card"
        parent_id = body.get("parentId")
        if parent_id:
            parent = self.messages.get(str(parent_id))
            if parent is None or parent.get("parentId") or parent["roomId"] != body.get("roomId"):
                return "parentId must be a top-level message in the same space"
        return ""

    async def _edit_message(self, body: Json, upload: None, id: str) -> Response:
        posted = next((p for p in self.posted if p.message["id"] == id), None)
        if posted is None:
            return _error(404, "Message not found.")
        if body.get("roomId") != posted.message["roomId"] or not body.get("markdown"):
            return _error(400, "roomId and markdown are required")
        if len(posted.edits) >= EDIT_LIMIT:
            return _error(400, "This message cannot be edited any more.")
        posted.edits.append(str(body["markdown"]))
        posted.message.update(markdown=body["markdown"], text=body["markdown"])
        async with self._changed:
            self._changed.notify_all()
        return JSONResponse(posted.message)

    async def _list_webhooks(self, body: Json, upload: None) -> Response:
        return JSONResponse({"items": list(self.webhooks.values())})

    async def _create_webhook(self, body: Json, upload: None) -> Response:
        missing = [k for k in ("name", "targetUrl", "resource", "event") if not body.get(k)]
        if missing:
            return _error(400, f"missing {', '.join(missing)}")
        hook = {
            "id": webex_id("WEBHOOK", f"hook-{next(self._ids)}"),
            **{k: body[k] for k in ("name", "targetUrl", "resource", "event")},
            "status": "active",
            "created": now_text(),
        }
        for key in ("secret", "filter"):
            if body.get(key):
                hook[key] = body[key]
        self.webhooks[hook["id"]] = hook
        return JSONResponse(hook)

    async def _update_webhook(self, body: Json, upload: None, id: str) -> Response:
        if id not in self.webhooks:
            return _error(404, "Webhook not found.")
        if not body.get("name") or not body.get("targetUrl"):
            return _error(400, "name and targetUrl are required")
        hook = self.webhooks[id]
        hook.update({k: body[k] for k in ("name", "targetUrl", "secret", "status") if k in body})
        return JSONResponse(hook)

    async def _delete_webhook(self, body: Json, upload: None, id: str) -> Response:
        if self.webhooks.pop(id, None) is None:
            return _error(404, "Webhook not found.")
        return Response(status_code=204)


@pytest.fixture(name="fake_webex")
async def fake_webex_fixture() -> AsyncIterator[FakeWebex]:
    """A fake Webex API listening on a free loopback port; `fake_webex.url` is its API root."""
    fake = FakeWebex()
    async with web_server(fake.app(), "127.0.0.1", 0) as server:
        fake.url = f"{server.url}/v1/"
        yield fake
