"""The deployment example is safe as shipped: mvbot on loopback behind a TLS proxy it alone
trusts, a broker that wants a password and keeps its queue, a settings file mvbot accepts."""

from __future__ import annotations

import queue
import shutil
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
import yaml
from paho.mqtt import publish

from bot.config import check_settings, load_settings
from tests.mosquitto import MOSQUITTO, Mosquitto

DEPLOY = Path(__file__).parent.parent / "manifest" / "deploy"


def compose() -> dict[str, Any]:
    loaded = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    assert isinstance(loaded, dict)
    return loaded


REPLICAS = ("mvbot-1", "mvbot-2", "mvbot-3")


def test_only_the_proxy_and_the_broker_are_published_beyond_loopback() -> None:
    services = compose()["services"]
    assert [services[name]["ports"] for name in REPLICAS] == [
        ["127.0.0.1:8081:8080"],
        ["127.0.0.1:8082:8080"],
        ["127.0.0.1:8083:8080"],
    ]
    assert "ports" not in services["postgres"]
    public = {name for name, service in services.items() if service.get("ports")}
    assert public == {*REPLICAS, "caddy", "mosquitto"}


def test_the_proxy_terminates_tls_hides_metrics_and_is_the_only_trusted_one() -> None:
    caddyfile = (DEPLOY / "Caddyfile").read_text()
    assert "{$MVBOT_DOMAIN} {" in caddyfile  # a site address: Caddy gets the certificate
    assert "reverse_proxy mvbot-1:8080 mvbot-2:8080 mvbot-3:8080 {" in caddyfile
    assert "respond @private 404" in caddyfile and "@private path /metrics" in caddyfile
    caddy_address = compose()["services"]["caddy"]["networks"]["edge"]["ipv4_address"]
    env = {"MVBOT_MERAKI_API_KEY": "deploy-test-key"}
    settings = load_settings(env, config_file=DEPLOY / "mvbot.toml")
    assert settings.http.trusted_proxies == [caddy_address]
    assert check_settings(env, config_file=DEPLOY / "mvbot.toml") == []


def test_the_broker_wants_a_password_and_persists_its_queue() -> None:
    lines = {
        line.split(maxsplit=1)[0]: line.split(maxsplit=1)[1]
        for line in (DEPLOY / "mosquitto.conf").read_text().splitlines()
        if line.strip() and not line.startswith("#") and " " in line
    }
    assert lines["allow_anonymous"] == "false"
    assert lines["password_file"] == "/mosquitto/config/passwd"
    assert lines["persistence"] == "true"
    mounts = compose()["services"]["mosquitto"]["volumes"]
    assert any(m.endswith(":/mosquitto/config/passwd:ro") for m in mounts)
    assert any(m.startswith("mosquitto-data:") for m in mounts)
    assert "command" not in compose()["services"]["mosquitto"]  # not the no-auth config


def test_the_deployed_broker_never_hands_on_an_oversized_message(tmp_path: Path) -> None:
    """paho reads a whole packet before mvbot can weigh it, so the cap must be the broker's:
    with the deploy file's limit a 1 MB publish is dropped there and the next read arrives."""
    if shutil.which(MOSQUITTO) is None:
        pytest.skip("mosquitto is not installed (apt install mosquitto)")
    (limit,) = [
        line
        for line in (DEPLOY / "mosquitto.conf").read_text().splitlines()
        if line.startswith("message_size_limit ")
    ]
    assert int(limit.split()[1]) <= 1 << 20
    broker = Mosquitto(tmp_path, extra=limit + "\n").start()
    received: queue.Queue[bytes] = queue.Queue()
    subscriber = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
    subscriber.on_message = lambda _client, _data, message: received.put(message.payload)
    try:
        subscriber.connect("127.0.0.1", broker.port)
        subscriber.subscribe("/merakimv/+/lpr", qos=1)
        subscriber.loop_start()
        publish.single("/merakimv/Q2/lpr", b"x" * (1 << 20), qos=1, port=broker.port)
        publish.single("/merakimv/Q2/lpr", b'{"plate": "ABC1234"}', qos=1, port=broker.port)
        assert received.get(timeout=30) == b'{"plate": "ABC1234"}'
        assert received.empty()
    finally:
        subscriber.loop_stop()
        subscriber.disconnect()
        broker.stop()
