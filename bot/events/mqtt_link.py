"""A paho-mqtt client driven by the asyncio event loop: no thread of its own, no handoff.

paho's own thread (`loop_start`) reads the socket one small `recv` at a time and so gives
up Python's global lock several times per message; beside an event loop and a database
thread that are busy with the same burst, each of those hand-backs waits its turn, and a
burst arrived at well under half the rate a lone subscriber sees (docs/benchmarks.md,
plate ingest). Here the event loop watches the socket (`add_reader`/`add_writer`, as paho's
external-loop API intends) and callbacks run in the loop itself. Only connecting runs in a
worker thread: name lookup, TCP and TLS handshakes block, and a broker that is away must
not stall the loop. Reconnection waits double as `backoff` says (bot.events.faults),
starting again from the first once a connection has been accepted.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import threading
from collections.abc import Callable
from typing import Any

import paho.mqtt.client as paho

from bot.events.faults import Backoff

log = logging.getLogger(__name__)

READS_PER_WAKE = 1000  # messages read per readiness of the socket before others get a turn
MISC_EVERY = 1.0  # seconds between keep-alive checks (paho's loop_misc)
RECV_CHUNK = 1 << 16  # bytes asked of the socket at once
PARTING = 1.0  # seconds a stop waits for the broker to close the connection after DISCONNECT


class BufferedClient(paho.Client):
    """A paho client that reads its socket RECV_CHUNK bytes at a time.

    paho asks for each packet's first byte, its length and its body separately, a `recv`
    (a system call) each: a fifth of the time it spent on a PUBLISH of a plate burst
    (10.2 → 8.2 µs, docs/benchmarks.md). This serves those asks from one read instead, by
    overriding paho's private `_sock_recv` (paho-mqtt 2.x). Bytes held here are invisible to
    select(), so LoopLink keeps reading while `buffered()` says some are left; bytes of a
    socket paho has since replaced (a reconnection) are dropped.
    """

    _buffer = b""
    _at = 0
    _source: object = None  # the socket the buffer came from

    def _sock_recv(self, bufsize: int) -> bytes:
        if self._source is not self._sock or self._at >= len(self._buffer):
            data = super()._sock_recv(RECV_CHUNK)  # raises as paho expects when none wait
            self._source, self._buffer, self._at = self._sock, data, 0
            if not data:  # the connection is closed
                return data
        start = self._at
        self._at = min(start + bufsize, len(self._buffer))
        return self._buffer[start : self._at]

    def buffered(self) -> bool:
        """Whether bytes read from the current socket wait to be parsed."""
        return self._source is self._sock and self._at < len(self._buffer)


class LoopLink:
    """Connects `client` (set up with connect_async) and keeps it connected, on this loop."""

    def __init__(
        self,
        client: BufferedClient,
        backoff: Backoff,
        on_fail: Callable[[BaseException], None],
    ) -> None:
        self._client = client
        self._backoff = backoff
        self._on_fail = on_fail
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread = 0
        self._fd = -1  # the socket the loop watches (its number: paho closes the object)
        self._writing = False
        self._lost = asyncio.Event()
        self._misc: asyncio.TimerHandle | None = None
        self._closing = False
        self._parting: socket.socket | None = None  # the connection close() ended, until parted
        self.messages = 0  # counted by the owner's on_message: tells a read that gave one
        client.on_socket_open = self._opened
        client.on_socket_close = self._closed
        client.on_socket_register_write = self._want_write
        client.on_socket_unregister_write = self._written

    async def run(self, accepted: Callable[[], bool]) -> None:
        """Connect, and again whenever the connection is lost, until cancelled. `accepted`
        says whether the last connection was accepted by the broker (resets the backoff)."""
        self._loop = asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()
        attempt = 0
        try:
            while True:
                self._lost.clear()
                try:
                    await asyncio.to_thread(self._client.reconnect)
                except Exception as error:  # refused, unreachable, TLS, bad host: all retried
                    self._on_fail(error)
                else:
                    await self._lost.wait()
                    if accepted():
                        attempt = 0
                attempt += 1
                await asyncio.sleep(self._backoff.wait(attempt))
        finally:
            self._detach()

    def close(self) -> None:
        """Send DISCONNECT now if connected; a connection still being made ends unused."""
        self._closing = True
        sock = self._client.socket()
        if sock is not None and self._parting is None:
            # A second descriptor keeps the connection open past paho's close: see `parted`.
            with contextlib.suppress(OSError, ValueError):
                self._parting = socket.socket(fileno=os.dup(sock.fileno()))
        self._goodbye()
        self._detach()
        if self._parting is not None:
            with contextlib.suppress(OSError):
                self._parting.shutdown(socket.SHUT_WR)  # after DISCONNECT: the end of ours

    async def parted(self, within: float = PARTING) -> None:
        """After close(): return once the broker has closed the connection too, or after
        `within` seconds. The broker reads all that came before the DISCONNECT first, the
        last acknowledgements included; a connection that was simply dropped instead could
        lose them to a new one with the same client id taking the session over, and the
        broker would send those messages again (seen over TLS, restarting at once)."""
        sock, self._parting = self._parting, None
        if sock is None:
            return
        with sock, contextlib.suppress(OSError, TimeoutError):
            sock.setblocking(False)
            async with asyncio.timeout(within):
                while await asyncio.get_running_loop().sock_recv(sock, RECV_CHUNK):
                    pass  # what the broker still says (over TLS, its closing record)

    def _goodbye(self) -> None:
        if self._fd >= 0 or self._client.socket() is not None:
            self._client.disconnect()
            with contextlib.suppress(OSError):
                self._client.loop_write()  # paho closes the socket once DISCONNECT is out

    # paho's socket callbacks: in the loop, except while a reconnection (in a worker thread)
    # opens the socket and queues CONNECT.

    def _opened(self, client: paho.Client, userdata: Any, sock: Any) -> None:
        self._soon(self._attach, sock.fileno())

    def _closed(self, client: paho.Client, userdata: Any, sock: Any) -> None:
        self._soon(self._detach)

    def _want_write(self, client: paho.Client, userdata: Any, sock: Any) -> None:
        self._soon(self._watch_writes, True)

    def _written(self, client: paho.Client, userdata: Any, sock: Any) -> None:
        self._soon(self._watch_writes, False)

    def _soon(self, callback: Callable[..., None], *args: Any) -> None:
        if self._loop is None:
            return
        if threading.get_ident() == self._loop_thread:
            callback(*args)
        else:
            with contextlib.suppress(RuntimeError):  # the loop has closed
                self._loop.call_soon_threadsafe(callback, *args)

    def _attach(self, fd: int) -> None:
        assert self._loop is not None
        if self._closing:  # connected in the worker thread after close()
            self._goodbye()
            return
        self._detach()
        self._fd = fd
        self._loop.add_reader(fd, self._readable)
        if self._client.want_write():
            self._watch_writes(True)
        self._misc = self._loop.call_later(MISC_EVERY, self._keep_alive)

    def _detach(self) -> None:
        if self._fd >= 0 and self._loop is not None:
            self._loop.remove_reader(self._fd)
            self._loop.remove_writer(self._fd)
            self._fd, self._writing = -1, False
            self._lost.set()
        if self._misc is not None:
            self._misc.cancel()
            self._misc = None

    def _watch_writes(self, wanted: bool) -> None:
        if self._fd < 0 or self._loop is None or wanted == self._writing:
            return
        self._writing = wanted
        if wanted:
            self._loop.add_writer(self._fd, self._writable)
        else:
            self._loop.remove_writer(self._fd)

    def _readable(self) -> None:
        # loop_read takes one packet; keep reading while packets give messages, so that a
        # burst is read in few wake-ups and handed on together.
        for _ in range(READS_PER_WAKE):
            before = self.messages
            if self._client.loop_read() != paho.MQTT_ERR_SUCCESS or self.messages == before:
                break
        # Bytes select() cannot see: in the client's buffer, or decrypted and held by TLS.
        pending = getattr(self._client.socket(), "pending", None)
        held = self._client.buffered() or (pending is not None and pending())
        if self._loop is not None and held:
            self._loop.call_soon(self._readable)

    def _writable(self) -> None:
        self._client.loop_write()

    def _keep_alive(self) -> None:
        self._client.loop_misc()
        if self._fd >= 0 and self._loop is not None:
            self._misc = self._loop.call_later(MISC_EVERY, self._keep_alive)
