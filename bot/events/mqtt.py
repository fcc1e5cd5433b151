"""The MQTT connection: paho-mqtt on the event loop (bot.events.mqtt_link), acked when stored.

A durable connection's session is persistent (fixed client id, clean_session False, QoS 1):
the broker keeps our subscriptions and queues messages while mvbot is down. Several replicas
share its messages through a shared subscription (`$share/<group>/<filter>`), each with its
own session (docs/operations.md says what the broker does with a dead member's messages). A live one
(Sense counts, only worth having as they happen) is a clean session at QoS 0. The two are
separate connections because their filters overlap (`/merakimv/+/+` covers
`/merakimv/+/lpr`) and a broker delivers a message once per matching subscription of a
connection: on one connection every plate read would arrive twice. Within a connection a
topic goes to exactly one handler, the first whose filter matches. Messages are acknowledged by
hand, only once their handler returns, i.e. once what they carry is in the store; a
message whose handler fails stays unacknowledged and the broker sends it again on the
next connection. The link reconnects with exponential backoff; every (re)connection
subscribes again, in case the broker lost the session.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import ssl
from collections import deque
from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

from bot.events.faults import Backoff
from bot.events.mqtt_link import BufferedClient, LoopLink

log = logging.getLogger(__name__)

Handler = Callable[[str, bytes], Coroutine[Any, Any, None]]
Messages = Sequence[tuple[str, bytes]]


@dataclass(frozen=True)
class Batch:
    """A handler given every message of its filter that arrived together (topic, payload),
    in order, as one call: a burst costs one task, not one per message. It returns, for
    each message, whether it may be acknowledged."""

    handle: Callable[[Messages], Coroutine[Any, Any, Sequence[bool]]]


Route = Handler | Batch

QOS = 1
KEEPALIVE = 30
BACKOFF = Backoff(1.0, 60.0)  # between reconnection attempts
ROUTES_KEPT = 10_000  # topics whose handler is remembered


@dataclass(frozen=True)
class BrokerAddress:
    host: str
    port: int
    tls: bool
    username: str | None = None
    password: str | None = None

    @classmethod
    def from_url(cls, url: str) -> BrokerAddress:
        """mqtt://[user:pass@]host[:port] (port 1883) or mqtts://… (port 8883)."""
        parts = urlsplit(url)
        tls = parts.scheme.lower() == "mqtts"
        if parts.scheme.lower() not in ("mqtt", "mqtts") or not parts.hostname:
            raise ValueError("the broker URL must be mqtt://host[:port] or mqtts://host[:port]")
        return cls(
            host=parts.hostname,
            port=parts.port or (8883 if tls else 1883),
            tls=tls,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
        )


class MqttIngest:
    """Subscribes `handlers` (topic filter → coroutine) on a persistent session, or on a
    clean one at QoS 0 when `live`."""

    def __init__(
        self,
        url: str,
        handlers: Mapping[str, Route],
        *,
        client_id: str,
        ca_file: Path | None = None,
        live: bool = False,
        elsewhere: frozenset[str] = frozenset(),
        share_group: str = "",
    ) -> None:
        self.address = BrokerAddress.from_url(url)
        self.handlers = dict(handlers)
        # A shared subscription: the broker gives each message to one member of the group.
        # Received topics carry no prefix, so routing matches the bare filters.
        self.subscriptions = [f"$share/{share_group}/{f}" if share_group else f for f in handlers]
        # Only worth having live (Sense counts): QoS 0 on a clean session, so the broker
        # does not queue hours of them while mvbot is down.
        self.live = live
        # Filters another connection handles: their messages are dropped here unread.
        self.elsewhere = elsewhere
        self.client_id = client_id
        self.connected = asyncio.Event()
        self.connections = 0  # successful connections so far (reconnections included)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._inflight: set[asyncio.Task[Any]] = set()
        self._arrived: deque[tuple[Route, str, bytes, int, int]] = deque()
        self._scheduled = False
        self._routes: dict[str, Route | None] = {}
        self._waiters: list[tuple[int, asyncio.Future[None]]] = []
        self._client = BufferedClient(
            CallbackAPIVersion.VERSION2,
            client_id=client_id,
            clean_session=live,
            protocol=MQTTProtocolVersion.MQTTv311,
            manual_ack=True,
        )
        if self.address.username is not None:
            self._client.username_pw_set(self.address.username, self.address.password)
        if self.address.tls:
            self._client.tls_set(
                ca_certs=str(ca_file) if ca_file else None, cert_reqs=ssl.CERT_REQUIRED
            )
        self._client.on_connect = self._on_connect
        self._failures = 0
        self._accepted = False  # the last connection was accepted by the broker
        self._link = LoopLink(self._client, BACKOFF, self._on_connect_fail)
        self._task: asyncio.Task[None] | None = None
        self._client.on_disconnect = self._on_disconnect
        self._client.on_message = self._on_message
        self._client.on_subscribe = self._on_subscribe

    async def start(self) -> None:
        """Connect in the background: a broker that is down is retried, never fatal."""
        self._loop = asyncio.get_running_loop()
        self._client.connect_async(self.address.host, self.address.port, KEEPALIVE)
        self._task = self._loop.create_task(self._link.run(self._was_accepted), name="mqtt link")
        log.info(
            "mqtt connecting host=%s port=%s tls=%s", *self._shown(), str(self.address.tls).lower()
        )

    def _was_accepted(self) -> bool:
        accepted, self._accepted = self._accepted, False
        return accepted

    async def connected_times(self, count: int) -> None:
        """Return once the client has connected `count` times in all (reconnections count)."""
        if self.connections >= count:
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append((count, waiter))
        await waiter

    async def stop(self) -> None:
        """Disconnect; messages whose handler has not finished stay unacknowledged, and those
        whose handler has are acknowledged before the DISCONNECT goes out."""
        inflight = list(self._inflight)
        for task in inflight:
            task.cancel()  # a finished one stays finished
        # A handler that has just finished acknowledges in its done callback, which runs a
        # turn of the loop later: unsent, its messages would come again on the next start.
        await asyncio.gather(*inflight, return_exceptions=True)
        self._arrived.clear()
        self._link.close()
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        await self._link.parted()
        self.connected.clear()

    def _shown(self) -> tuple[str, int]:
        return self.address.host, self.address.port

    # paho callbacks: they run in the event loop, called from the link's socket handlers.

    def _on_connect(
        self, client: paho.Client, userdata: Any, flags: Any, reason: Any, properties: Any
    ) -> None:
        if reason.is_failure:
            log.warning("mqtt connection refused reason=%s", reason)
            return
        self._failures = 0
        self._accepted = True
        client.subscribe([(topic, 0 if self.live else QOS) for topic in self.subscriptions])
        log.info(
            "mqtt connected client_id=%s session_present=%s topics=%s",
            self.client_id,
            bool(getattr(flags, "session_present", False)),
            ",".join(self.subscriptions),
        )
        self._call(self._connected)

    def _on_subscribe(
        self, client: paho.Client, userdata: Any, mid: int, reasons: Any, properties: Any
    ) -> None:
        refused = [t for t, r in zip(self.subscriptions, reasons, strict=False) if r.is_failure]
        if refused:
            # A broker without shared subscriptions may refuse `$share/…`: set
            # `[mqtt] share_group = ""` for it.
            log.error("mqtt subscription refused topics=%s", ",".join(refused))

    def _on_connect_fail(self, error: BaseException) -> None:
        self._failures += 1
        # The first failure, then every tenth: a broker down for hours must not flood the log.
        if self._failures % 10 == 1:
            log.warning(
                "mqtt broker unreachable host=%s port=%s failures=%d error=%r; retrying",
                *self._shown(),
                self._failures,
                error,
            )

    def _on_disconnect(
        self, client: paho.Client, userdata: Any, flags: Any, reason: Any, properties: Any
    ) -> None:
        if reason.is_failure:
            log.warning("mqtt connection lost reason=%s; reconnecting with backoff", reason)
        self._call(self.connected.clear)

    def _on_message(self, client: paho.Client, userdata: Any, message: paho.MQTTMessage) -> None:
        topic = message.topic
        handler = self._route(topic)
        if handler is None or self._loop is None:
            client.ack(message.mid, message.qos)
            return
        self._link.messages += 1
        # Started once per burst: the link reads on while packets hold messages, so every
        # message of one wake-up of the socket reaches its handler in one call.
        self._arrived.append((handler, topic, bytes(message.payload), message.mid, message.qos))
        if not self._scheduled:
            self._scheduled = True
            self._loop.call_soon(self._dispatch)

    def _route(self, topic: str) -> Route | None:
        """The one handler of a topic (the first filter that matches), or None; cached, as a
        fleet has few topics."""
        if topic in self._routes:
            return self._routes[topic]
        handler = None
        if not any(paho.topic_matches_sub(f, topic) for f in self.elsewhere):
            handler = next(
                (h for f, h in self.handlers.items() if paho.topic_matches_sub(f, topic)), None
            )
        if len(self._routes) >= ROUTES_KEPT:
            self._routes.clear()
        self._routes[topic] = handler
        return handler

    def _dispatch(self) -> None:
        """In the event loop: start a handler for each message, or for each Batch its
        messages that arrived together."""
        self._scheduled = False
        assert self._loop is not None
        batches: dict[Batch, list[tuple[str, bytes, int, int]]] = {}
        while self._arrived:
            handler, topic, payload, mid, qos = self._arrived.popleft()
            if isinstance(handler, Batch):
                batches.setdefault(handler, []).append((topic, payload, mid, qos))
                continue
            task = self._loop.create_task(handler(topic, payload))
            self._inflight.add(task)
            task.add_done_callback(functools.partial(self._handled, topic=topic, mid=mid, qos=qos))
        for batch, messages in batches.items():
            many = self._loop.create_task(batch.handle([(t, p) for t, p, _, _ in messages]))
            self._inflight.add(many)
            many.add_done_callback(functools.partial(self._batch_handled, messages=messages))

    def _handled(self, done: asyncio.Task[None], *, topic: str, mid: int, qos: int) -> None:
        self._inflight.discard(done)
        if done.cancelled():
            return
        error = done.exception()
        if error is not None:
            log.error(
                "mqtt message not stored topic=%s error=%r; left unacknowledged", topic, error
            )
            return
        self._client.ack(mid, qos)

    def _batch_handled(
        self, done: asyncio.Task[Sequence[bool]], *, messages: list[tuple[str, bytes, int, int]]
    ) -> None:
        self._inflight.discard(done)
        if done.cancelled():
            return
        error = done.exception()
        if error is not None:
            log.error(
                "mqtt messages not stored count=%d topic=%s error=%r; left unacknowledged",
                len(messages),
                messages[0][0],
                error,
            )
            return
        for (_, _, mid, qos), ok in zip(messages, done.result(), strict=True):
            if ok:
                self._client.ack(mid, qos)

    def _connected(self) -> None:
        self.connections += 1
        self.connected.set()
        for count, waiter in self._waiters:
            if count <= self.connections and not waiter.done():
                waiter.set_result(None)
        self._waiters = [(c, w) for c, w in self._waiters if not w.done()]

    def _call(self, callback: Callable[[], None]) -> None:
        if self._loop is not None:
            with contextlib.suppress(RuntimeError):  # the event loop has closed
                self._loop.call_soon_threadsafe(callback)
