"""The MQTT connection on the event loop, over TLS to a real Mosquitto with a private CA: a
burst arrives whole and in order, and what was acknowledged is not sent again; a stop right
after a batch was handled acknowledges it first."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from bot.events.mqtt import Batch, MqttIngest
from tests.mosquitto import (  # noqa: F401
    MOSQUITTO,
    Mosquitto,
    free_port,
    mosquitto_fixture,
    publish_all,
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
