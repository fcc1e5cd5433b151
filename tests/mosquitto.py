"""A real Mosquitto broker for tests, on a free loopback port, with persistence in a tmp dir.

A test module imports the fixture (`from tests.mosquitto import mosquitto_fixture  # noqa:
F401`) and asks for `mosquitto`; the broker never touches a system broker on 1883.
"""

from __future__ import annotations

import shutil
import socket
import struct
import subprocess
import threading
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path

import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion

MOSQUITTO = "/usr/sbin/mosquitto"
START_TIMEOUT = 10.0


def publish_all(port: int, topic: str, payloads: Sequence[bytes], timeout: float = 60.0) -> None:
    """Publish `payloads` to `topic` at QoS 1, as a camera would; return once the broker on
    `port` has confirmed each."""
    client = paho.Client(CallbackAPIVersion.VERSION2, client_id=f"cam-{uuid.uuid4().hex[:8]}")
    client.max_inflight_messages_set(1000)
    client.max_queued_messages_set(0)
    client.connect("127.0.0.1", port)
    client.loop_start()
    try:
        for info in [client.publish(topic, payload, qos=1) for payload in payloads]:
            info.wait_for_publish(timeout)
    finally:
        client.disconnect()
        client.loop_stop()


def publish_packet(topic: str, payload: bytes, mid: int) -> bytes:
    """A QoS 1 PUBLISH as a broker sends it (for feeding a client's socket directly)."""
    body = struct.pack("!H", len(topic)) + topic.encode() + struct.pack("!H", mid) + payload
    length, encoded = len(body), bytearray()
    while True:
        length, digit = divmod(length, 128)
        encoded.append(digit | (0x80 if length else 0))
        if not length:
            return bytes([0x32]) + bytes(encoded) + body


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Mosquitto:
    """One broker process; `restart()` stops it and starts it again on the same port."""

    def __init__(self, directory: Path, extra: str = "") -> None:
        self.directory = directory
        self.extra = extra  # more configuration lines (benchmarks lift the queue limit)
        self.port = free_port()
        self.log: list[str] = []
        self._process: subprocess.Popen[str] | None = None
        self._reader: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self) -> Mosquitto:
        config = self.directory / "mosquitto.conf"
        config.write_text(
            f"listener {self.port} 127.0.0.1\n"
            "allow_anonymous true\n"
            # A message matching two of a client's subscriptions comes once per subscription,
            # as MQTT 3.1.1 allows and as the brokers mvbot meets in the field do.
            "allow_duplicate_messages true\n"
            "persistence true\n"
            f"persistence_location {self.directory}/\n"
            "log_dest stderr\n"
            "log_type error\nlog_type warning\nlog_type notice\nlog_type information\n"
            + self.extra,
            encoding="utf-8",
        )
        process = subprocess.Popen(
            [MOSQUITTO, "-c", str(config)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self._process = process
        running = threading.Event()

        def read_log() -> None:
            assert process.stderr is not None
            for line in process.stderr:
                self.log.append(line.rstrip())
                if " running" in line:
                    running.set()
            running.set()  # the process ended: start() reports it

        self._reader = threading.Thread(target=read_log, name=f"mosquitto-{self.port}", daemon=True)
        self._reader.start()
        if not running.wait(START_TIMEOUT) or process.poll() is not None:
            self.stop()
            raise RuntimeError("mosquitto did not start:\n" + "\n".join(self.log))
        return self

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        process.terminate()
        try:
            process.wait(timeout=START_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if self._reader is not None:
            self._reader.join(START_TIMEOUT)  # the log ends with the process
        if process.stderr is not None:
            process.stderr.close()

    def restart(self) -> None:
        self.stop()
        self.start()


@pytest.fixture(name="mosquitto")
def mosquitto_fixture(tmp_path: Path) -> Iterator[Mosquitto]:
    if shutil.which(MOSQUITTO) is None:
        pytest.skip("mosquitto is not installed (apt install mosquitto)")
    directory = tmp_path / "mosquitto"
    directory.mkdir()
    broker = Mosquitto(directory).start()
    yield broker
    broker.stop()
