"""Plate reads through an MQTT shared subscription on a real Mosquitto: each read reaches one
replica, and a dead replica's reads wait for it (docs/operations.md, "MQTT shared
subscriptions" says so; this is the test of it)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

import pytest
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.reasoncodes import ReasonCode

from bot.events.mqtt import Batch, MqttIngest
from bot.events.service import durable_client_id
from tests.mosquitto import Mosquitto, mosquitto_fixture, publish_all  # noqa: F401

FILTER = "/merakimv/+/lpr"
TOPIC = "/merakimv/Q2GV-GRGE-0002/lpr"
DEADLINE = 20.0


class Member:
    """One replica's plate connection: keeps what it is given (topic, payload); with
    `stuck`, never finishes handling, so nothing it gets is acknowledged."""

    def __init__(self, url: str, client_id: str, *, stuck: bool = False) -> None:
        self.got: list[tuple[str, bytes]] = []
        self.stuck = stuck
        self.more = asyncio.Event()
        self.ingest = MqttIngest(
            url, {FILTER: Batch(self.handle)}, client_id=client_id, share_group="mvbot"
        )

    async def handle(self, messages: Sequence[tuple[str, bytes]]) -> list[bool]:
        self.got += messages
        self.more.set()
        if self.stuck:
            await asyncio.Event().wait()  # cancelled at stop: left unacknowledged
        return [True] * len(messages)

    @property
    def payloads(self) -> set[bytes]:
        return {payload for _, payload in self.got}

    async def start(self) -> Member:
        await self.ingest.start()
        async with asyncio.timeout(DEADLINE):
            await self.ingest.connected_times(1)
        return self


async def until(members: Sequence[Member], condition: Callable[[], bool]) -> None:
    """Wait, on the members' arrivals, until `condition` holds."""
    async with asyncio.timeout(DEADLINE):
        while not condition():
            waits = [asyncio.ensure_future(m.more.wait()) for m in members]
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
            for wait in waits:
                wait.cancel()
            for member in members:
                member.more.clear()


def reads(start: int, count: int) -> list[bytes]:
    return [f'{{"plate": "SHR{n:04d}"}}'.encode() for n in range(start, start + count)]


async def test_each_read_reaches_one_replica_under_the_bare_topic(mosquitto: Mosquitto) -> None:
    members = [await Member(mosquitto.url, f"mvbot-r{n}").start() for n in range(3)]
    sent = reads(0, 90)
    await asyncio.to_thread(publish_all, mosquitto.port, TOPIC, sent)
    await until(members, lambda: sum(len(m.got) for m in members) >= len(sent))
    for member in members:
        await member.ingest.stop()
    delivered = [payload for m in members for _, payload in m.got]
    assert sorted(delivered) == sorted(sent)  # each once, none lost
    assert all(m.got for m in members)  # shared out, not all to one
    # Routed by the bare topic: the broker does not send the $share/… prefix.
    assert {topic for m in members for topic, _ in m.got} == {TOPIC}


async def test_a_dead_replicas_reads_wait_for_it_and_come_when_it_is_back(
    mosquitto: Mosquitto,
) -> None:
    dead = await Member(mosquitto.url, "mvbot-a", stuck=True).start()
    alive = await Member(mosquitto.url, "mvbot-b").start()
    first = reads(0, 20)
    await asyncio.to_thread(publish_all, mosquitto.port, TOPIC, first)
    await until([dead, alive], lambda: len(dead.got) + len(alive.got) >= len(first))
    assert dead.got and alive.got
    unacknowledged = dead.payloads
    await dead.ingest.stop()  # its session stays; what it had in hand is not acknowledged

    second = reads(20, 20)
    await asyncio.to_thread(publish_all, mosquitto.port, TOPIC, second)
    back = await Member(mosquitto.url, "mvbot-a").start()  # the same client id again
    everything = set(first + second)
    await until([alive, back], lambda: alive.payloads | back.payloads >= everything)
    await alive.ingest.stop()
    await back.ingest.stop()

    # Nothing of A's went to B: B's reads and the returning A's are disjoint and make all.
    assert not alive.payloads & back.payloads
    assert alive.payloads | back.payloads == everything
    # What A had not acknowledged came back to A, marked as sent before...
    assert unacknowledged <= back.payloads
    # ...and while A was away the broker went on giving it its turn: queued for it, not
    # given to the replica that was up.
    assert back.payloads & set(second)


def test_each_replica_has_its_own_session_and_one_replica_keeps_the_plain_id() -> None:
    assert durable_client_id("mvbot", "mvbot-1") == "mvbot-mvbot-1"
    assert durable_client_id("mvbot", None) == "mvbot"


def test_a_subscription_the_broker_refuses_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    # Mosquitto grants `$share/…` (and checks ACLs at delivery): a broker that refuses it is
    # played here by handing the callback what paho makes of a SUBACK with 0x80.
    ingest = MqttIngest(
        "mqtt://127.0.0.1:1", {FILTER: Batch(Member.handle)}, client_id="x", share_group="mvbot"
    )
    granted, refused = (
        ReasonCode(PacketTypes.SUBACK, identifier=1),
        ReasonCode(PacketTypes.SUBACK, identifier=0x80),
    )
    ingest._on_subscribe(ingest._client, None, 1, [granted], None)
    assert not caplog.records
    ingest._on_subscribe(ingest._client, None, 2, [refused], None)
    (record,) = caplog.records
    assert record.getMessage() == "mqtt subscription refused topics=$share/mvbot//merakimv/+/lpr"
