"""An MQTT broker inside the process (amqtt), for `mvbot demo`: plate alerts with no set-up."""

from __future__ import annotations

import logging
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


@asynccontextmanager
async def embedded_broker(host: str = "127.0.0.1") -> AsyncIterator[str]:
    """Run a broker on a free loopback port for the block; yields its mqtt:// URL.

    Never port 1883: the machine may run a broker of its own there.
    """
    from amqtt.broker import Broker  # only the demo needs it

    # amqtt reports every client that comes and goes; the demo's console is for people.
    logging.getLogger("amqtt").setLevel(logging.ERROR)
    port = _free_port(host)
    broker = Broker(
        {
            "listeners": {"default": {"type": "tcp", "bind": f"{host}:{port}"}},
            "plugins": {
                "amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True}
            },
        }
    )
    await broker.start()
    try:
        yield f"mqtt://{host}:{port}"
    finally:
        await broker.shutdown()
