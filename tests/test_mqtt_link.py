"""The MQTT connection on the event loop, over TLS to a real Mosquitto with a private CA: a
burst arrives whole and in order, and what was acknowledged is not sent again; a stop right
after a batch was handled acknowledges it first."""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path

import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

from bot.events.faults import Backoff
from bot.events.mqtt import Batch, MqttIngest
from bot.events.mqtt_link import READS_PER_WAKE, RECV_CHUNK, BufferedClient, LoopLink
from tests.mosquitto import (  # noqa: F401
    MOSQUITTO,
    Mosquitto,
    free_port,
    mosquitto_fixture,
    publish_all,
    publish_packet,
)

TOPIC = "/merakimv/Q2GV-GRGE-0002/lpr"
DEADLINE = 20.0


def make_certificates(directory: Path) -> tuple[Path, Path, Path]:
    """A CA, and a server certificate it signed for 127.0.0.1: (ca, cert, key)."""
    ca, ca_key = directory / "ca.pem", directory / "ca.key"
    cert, key, request = directory / "server.pem", directory / "server.key", directory / "s.csr"
    extensions = directory / "san.cnf"
    extensions.write_text("subjectAltName = IP:127.0.0.1\n", encoding="utf-8")
    new_key = ["-newkey", "rsa:2048", "-nodes"]
    commands = [
        ["req", "-x509", *new_key, "-days", "2", "-subj", "/CN=test CA", "-keyout", str(ca_key)],
        ["req", *new_key, "-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(request)],
        ["x509", "-req", "-in", str(request), "-CA", str(ca), "-CAkey", str(ca_key)],
    ]
    commands[0] += ["-out", str(ca)]
    commands[2] += ["-CAcreateserial", "-days", "2", "-extfile", str(extensions), "-out", str(cert)]
    for command in commands:
        subprocess.run(["openssl", *command], check=True, capture_output=True)
    return ca, cert, key


@pytest.fixture(name="tls_broker")
def tls_broker_fixture(tmp_path: Path) -> Iterator[tuple[Mosquitto, int, Path]]:
    """Mosquitto with a plain listener (for the publisher) and a TLS one: (broker, TLS port,
    CA file)."""
    if shutil.which(MOSQUITTO) is None or shutil.which("openssl") is None:
        pytest.skip("mosquitto and openssl are needed")
    ca, cert, key = make_certificates(tmp_path)
    port = free_port()
    extra = (
        f"listener {port} 127.0.0.1\ncafile {ca}\ncertfile {cert}\nkeyfile {key}\n"
        # Run as root, Mosquitto would switch to its own user, who cannot read pytest's files.
        "user root\nmax_queued_messages 0\n"
    )
    directory = tmp_path / "mosquitto"
    directory.mkdir()
    broker = Mosquitto(directory, extra=extra).start()
    yield broker, port, ca
    broker.stop()


class Received:
    """A Batch handler that keeps what it is given and says when `count` have come."""

    def __init__(self) -> None:
        self.payloads: list[bytes] = []
        self.enough = asyncio.Event()
        self.count = 0

    async def __call__(self, messages: Sequence[tuple[str, bytes]]) -> list[bool]:
        self.payloads += [payload for _, payload in messages]
        if len(self.payloads) >= self.count:
            self.enough.set()
        return [True] * len(messages)

    async def wait_for(self, count: int) -> None:
        self.count = count
        if len(self.payloads) < count:
            self.enough.clear()
            async with asyncio.timeout(DEADLINE):
                await self.enough.wait()


async def connected(ingest: MqttIngest) -> MqttIngest:
    await ingest.start()
    async with asyncio.timeout(DEADLINE):
        await ingest.connected_times(1)
    return ingest


async def only_new_comes_again(session: MqttIngest, port: int, received: Received) -> list[bytes]:
    """The same session connected again, one message published: what it received then
    (nothing comes back that the first connection acknowledged)."""
    before = len(received.payloads)
    await connected(session)
    await asyncio.to_thread(publish_all, port, TOPIC, [b'{"plate": "AFTER01"}'])
    await received.wait_for(before + 1)
    await session.stop()
    return received.payloads[before:]


async def test_over_tls_a_burst_arrives_whole_in_order_and_acknowledged_messages_stay_away(
    tls_broker: tuple[Mosquitto, int, Path],
) -> None:
    broker, port, ca = tls_broker
    client_id = f"mvbot-{uuid.uuid4().hex[:8]}"
    received = Received()

    def ingest() -> MqttIngest:
        return MqttIngest(
            f"mqtts://127.0.0.1:{port}", {TOPIC: Batch(received)}, client_id=client_id, ca_file=ca
        )

    first = await connected(ingest())
    burst = [f'{{"plate": "TLS{n:04d}"}}'.encode() for n in range(500)]
    await asyncio.to_thread(publish_all, broker.port, TOPIC, burst)
    await received.wait_for(500)
    assert received.payloads == burst
    await first.stop()
    assert await only_new_comes_again(ingest(), broker.port, received) == [b'{"plate": "AFTER01"}']


async def test_a_stop_right_after_a_batch_was_handled_acknowledges_it_first(
    mosquitto: Mosquitto,
) -> None:
    client_id = f"mvbot-{uuid.uuid4().hex[:8]}"
    received = Received()

    def ingest() -> MqttIngest:
        return MqttIngest(mosquitto.url, {TOPIC: Batch(received)}, client_id=client_id)

    first = await connected(ingest())
    received.count = 1  # woken inside the handler: the stop comes before its done callback
    await asyncio.to_thread(publish_all, mosquitto.port, TOPIC, [b'{"plate": "ONCE01"}'])
    async with asyncio.timeout(DEADLINE):
        await received.enough.wait()
    await first.stop()
    assert await only_new_comes_again(ingest(), mosquitto.port, received) == [
        b'{"plate": "AFTER01"}'
    ]


def test_a_buffered_client_reads_many_packets_from_one_recv_as_paho_would() -> None:
    """Packets that straddle the end of a read, payloads longer than a read: every message
    whole and in order; bytes left in the buffer are told (select() cannot see them), and
    those of a socket paho has replaced are dropped."""
    client = BufferedClient(
        CallbackAPIVersion.VERSION2, protocol=MQTTProtocolVersion.MQTTv311, manual_ack=True
    )
    seen: list[bytes] = []
    client.on_message = lambda c, u, message: seen.append(message.payload)
    payloads = [f'{{"plate":"P{n}","pad":"{"x" * (n % 300)}"}}'.encode() for n in range(2000)]
    payloads.append(b"y" * (3 * RECV_CHUNK))  # one message longer than three reads
    ours, theirs = socket.socketpair()
    theirs.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
    ours.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 22)
    stream = b"".join(publish_packet(TOPIC, p, n + 1) for n, p in enumerate(payloads))
    assert len(stream) > 4 * RECV_CHUNK
    ours.sendall(stream)
    theirs.setblocking(False)
    client._sock = theirs  # a socket paho did not open, as bench/plate_stages.py does
    client._state = paho._ConnectionState.MQTT_CS_CONNECTED
    held = False
    while len(seen) < len(payloads):
        client.loop_read()
        held = held or (client.buffered() and len(seen) < len(payloads))
    assert seen == payloads
    assert held
    ours.sendall(publish_packet(TOPIC, b"read", 1) + publish_packet(TOPIC, b"left behind", 2))
    client.loop_read()  # both packets read from the socket, the first parsed
    assert seen[-1] == b"read" and client.buffered()
    other, peer = socket.socketpair()
    other.setblocking(False)
    client._sock = other  # a reconnection: what the old socket held means nothing now
    assert not client.buffered()
    client.loop_read()
    assert seen[-1] == b"read"
    for each in (ours, theirs, other, peer):
        each.close()


async def test_messages_left_in_the_buffer_are_read_without_the_socket_becoming_readable() -> None:
    """LoopLink reads READS_PER_WAKE messages per wake-up; the rest of a read it must come
    back for itself, since select() will not say the socket has them."""
    client = BufferedClient(
        CallbackAPIVersion.VERSION2, protocol=MQTTProtocolVersion.MQTTv311, manual_ack=True
    )
    link = LoopLink(client, Backoff(1.0, 1.0), lambda error: None)
    seen: list[bytes] = []

    def on_message(c: paho.Client, userdata: object, message: paho.MQTTMessage) -> None:
        seen.append(message.payload)
        link.messages += 1

    client.on_message = on_message
    count = READS_PER_WAKE + 500
    stream = b"".join(publish_packet(TOPIC, b"p", n % 60000 + 1) for n in range(count))
    assert len(stream) < RECV_CHUNK  # one read takes them all: nothing more to wake for
    ours, theirs = socket.socketpair()
    ours.sendall(stream)
    theirs.setblocking(False)
    client._sock = theirs
    client._state = paho._ConnectionState.MQTT_CS_CONNECTED
    link._loop = asyncio.get_running_loop()
    link._readable()  # the one readiness the socket gives
    assert READS_PER_WAKE <= len(seen) < count
    for _ in range(10):
        await asyncio.sleep(0)
    assert len(seen) == count
    ours.close()
    theirs.close()


async def test_a_stop_ends_its_side_after_disconnect_and_waits_for_the_broker_to_close() -> None:
    """The broker must read everything up to the DISCONNECT before the connection is gone: a
    stop half-closes after it and returns once the broker has closed its side (a broker that
    lingers, here 0.3 s, is waited for)."""
    seen: dict[str, float] = {}
    loop = asyncio.get_running_loop()

    async def broker(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(1024)  # CONNECT
        writer.write(bytes([0x20, 0x02, 0x00, 0x00]))  # CONNACK, no session
        data = b""
        while b"\xe0\x00" not in data:  # DISCONNECT (the SUBSCRIBE before it goes unanswered)
            data += await reader.read(1024)
        seen["disconnect"] = loop.time()
        seen["eof"] = float(await reader.read(1024) == b"")  # the client's end follows it
        await asyncio.sleep(0.3)
        seen["closed"] = loop.time()
        writer.close()

    server = await asyncio.start_server(broker, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    ingest = await connected(
        MqttIngest(f"mqtt://127.0.0.1:{port}", {TOPIC: Batch(Received())}, client_id="parting")
    )
    await ingest.stop()
    stopped = loop.time()
    server.close()
    await server.wait_closed()
    assert seen["eof"] == 1.0
    assert stopped >= seen["closed"] > seen["disconnect"]
