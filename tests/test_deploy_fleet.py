"""The fleet deployment examples hang together: three replicas of one image on one database,
one broker and one data directory behind a load balancer that checks /healthz (Compose), and
the same in Kubernetes; every variable they set is a setting mvbot accepts, every port is the
one the Dockerfile exposes, every reference names an object that exists."""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml

from bot.config import check_settings
from bot.config.names import ENVIRONMENT, OTHER_VARIABLES

ROOT = Path(__file__).parent.parent
DEPLOY = ROOT / "manifest" / "deploy"
K8S = DEPLOY / "k8s"
PLACEHOLDERS = {"POSTGRES_PASSWORD": "pg-secret", "MQTT_PASSWORD": "mqtt-secret"}
# What .env holds beside the interpolated passwords (compose.yaml's opening comment).
DOT_ENV = {"MVBOT_MERAKI_API_KEY": "deploy-test-key", "MVBOT_PUBLIC_URL": "https://mvbot.example"}


def dockerfile() -> dict[str, str]:
    """The Dockerfile's exposed port, its MVBOT_ defaults and its user's uid."""
    text = (ROOT / "Dockerfile").read_text()
    (expose,) = re.findall(r"^EXPOSE (\d+)$", text, re.MULTILINE)
    (uid,) = re.findall(r"--uid (\d+)", text)
    defaults = dict(re.findall(r"(MVBOT_\w+)=(\S+)", text))
    return {"port": expose, "uid": uid, **defaults}


def interpolated(value: str) -> str:
    """`${NAME}` and `${NAME:?message}` replaced as Compose does, from PLACEHOLDERS."""
    return re.sub(r"\$\{(\w+)(?::\?[^}]*)?\}", lambda m: PLACEHOLDERS[m.group(1)], value)


def compose_services() -> dict[str, Any]:
    loaded = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services: dict[str, Any] = loaded["services"]
    return services


def replicas() -> dict[str, Any]:
    return {name: s for name, s in compose_services().items() if name.startswith("mvbot")}


def known(variable: str) -> bool:
    return variable in ENVIRONMENT or variable in OTHER_VARIABLES


def test_three_replicas_of_one_image_share_the_database_the_broker_and_the_data() -> None:
    services, fleet = compose_services(), replicas()
    assert len(fleet) == 3
    assert len({(s["build"], s["image"]) for s in fleet.values()}) == 1
    assert {service["build"] for service in fleet.values()} == {"../.."}  # the Dockerfile
    for name, service in fleet.items():
        env = {key: interpolated(str(value)) for key, value in service["environment"].items()}
        # Stable and distinct: the service's own name, whatever the container is called.
        assert env["MVBOT_REPLICA_ID"] == name
        database = urllib.parse.urlsplit(env["MVBOT_DATABASE_URL"])
        assert database.scheme.startswith("postgresql") and database.hostname == "postgres"
        assert database.port == 5432 and database.password == "pg-secret"
        broker = urllib.parse.urlsplit(env["MVBOT_MQTT_URL"])
        assert (broker.hostname, broker.port) == ("mosquitto", 1883)
        assert "mvbot-data:/data" in service["volumes"]
        assert dockerfile()["MVBOT_DATA_DIR"] == "/data"
        assert {"postgres", "mosquitto"} <= set(service["depends_on"])
        assert all(known(variable) for variable in env), env
        config = DEPLOY / Path(env["MVBOT_CONFIG"]).name
        assert f"./{config.name}:{env['MVBOT_CONFIG']}:ro" in service["volumes"]
        assert check_settings({**DOT_ENV, **env}, config_file=config) == []
    assert services["postgres"]["healthcheck"]["test"][1] == "pg_isready"
    assert fleet["mvbot-1"]["depends_on"]["postgres"] == {"condition": "service_healthy"}


def test_the_load_balancer_sends_to_every_replica_that_answers_healthz() -> None:
    caddyfile = (DEPLOY / "Caddyfile").read_text()
    (upstreams,) = re.findall(r"reverse_proxy ([^{\n]+) \{", caddyfile)
    port = dockerfile()["port"]
    assert upstreams.split() == [f"{name}:{port}" for name in replicas()]
    assert dockerfile()["MVBOT_HTTP_PORT"] == port
    assert re.search(r"^\s*health_uri /healthz$", caddyfile, re.MULTILINE)
    assert re.search(r"^\s*lb_policy round_robin$", caddyfile, re.MULTILINE)
    # Each replica's own port for Prometheus is the container's port, on loopback.
    for service in replicas().values():
        (published,) = service["ports"]
        assert published.startswith("127.0.0.1:") and published.endswith(f":{port}")


# Kubernetes -------------------------------------------------------------------------------


def manifests() -> Iterator[dict[str, Any]]:
    for path in sorted(K8S.glob("*.yaml")):
        if path.name != "kustomization.yaml":
            yield from (doc for doc in yaml.safe_load_all(path.read_text()) if doc)


def one(kind: str, name: str | None = None) -> dict[str, Any]:
    found = [
        m
        for m in manifests()
        if m["kind"] == kind and (name is None or m["metadata"]["name"] == name)
    ]
    assert len(found) == 1, (kind, name, len(found))
    return found[0]


def selects(selector: Mapping[str, str], labels: Mapping[str, str]) -> bool:
    return bool(selector) and all(labels.get(key) == value for key, value in selector.items())


def test_kustomize_lists_every_manifest_and_each_loads() -> None:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    files = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}
    assert set(kustomization["resources"]) == files
    kinds = [m["kind"] for m in manifests()]
    for kind in ("StatefulSet", "Service", "PodDisruptionBudget", "PersistentVolumeClaim"):
        assert kind in kinds
    assert "Secret" in kinds and "ConfigMap" in kinds
    assert "Deployment" not in kinds  # the StatefulSet's stable names are the point


def test_pods_have_stable_replica_ids_and_probes_on_healthz_at_the_images_port() -> None:
    statefulset = one("StatefulSet")
    spec, pod = statefulset["spec"], statefulset["spec"]["template"]
    labels = pod["metadata"]["labels"]
    assert spec["replicas"] == 3 and selects(spec["selector"]["matchLabels"], labels)
    headless = one("Service", spec["serviceName"])
    assert headless["spec"]["clusterIP"] == "None"
    (container,) = pod["spec"]["containers"]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports == {"http": int(dockerfile()["port"])}
    for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
        assert container[probe]["httpGet"] == {"path": "/healthz", "port": "http"}
    # A liveness failure restarts the pod: it must be slower to give up than readiness.
    ready, live = container["readinessProbe"], container["livenessProbe"]
    assert live["periodSeconds"] * live["failureThreshold"] > (
        ready["periodSeconds"] * ready["failureThreshold"]
    )
    (replica_id,) = [e for e in container["env"] if e["name"] == "MVBOT_REPLICA_ID"]
    assert replica_id["valueFrom"] == {"fieldRef": {"fieldPath": "metadata.name"}}
    assert pod["spec"]["securityContext"]["runAsUser"] == int(dockerfile()["uid"])


def test_the_pods_share_one_read_write_many_volume_as_their_data_dir() -> None:
    pod = one("StatefulSet")["spec"]["template"]["spec"]
    assert "volumeClaimTemplates" not in one("StatefulSet")["spec"]  # not a disk per pod
    (container,) = pod["containers"]
    volumes = {v["name"]: v for v in pod["volumes"]}
    mounts = {m["mountPath"]: m for m in container["volumeMounts"]}
    env = pod_environment()
    data = volumes[mounts[env["MVBOT_DATA_DIR"]]["name"]]
    claim = one("PersistentVolumeClaim", data["persistentVolumeClaim"]["claimName"])
    assert claim["spec"]["accessModes"] == ["ReadWriteMany"]
    config = mounts[env["MVBOT_CONFIG"]]
    config_map = one("ConfigMap", volumes[config["name"]]["configMap"]["name"])
    assert config["subPath"] in config_map["data"]


def pod_environment() -> dict[str, str]:
    """The variables a pod gets from its ConfigMaps and Secrets (envFrom) and its own env."""
    (container,) = one("StatefulSet")["spec"]["template"]["spec"]["containers"]
    env: dict[str, str] = {}
    for source in container["envFrom"]:
        if "configMapRef" in source:
            env.update(one("ConfigMap", source["configMapRef"]["name"])["data"])
        else:
            env.update(one("Secret", source["secretRef"]["name"])["stringData"])
    for entry in container["env"]:
        env[entry["name"]] = entry.get("value", "mvbot-0")  # the pod's name, from the API
    return env


def test_every_variable_the_pods_get_is_a_setting_mvbot_accepts(tmp_path: Path) -> None:
    env = pod_environment()
    assert all(known(variable) for variable in env), sorted(env)
    assert env["MVBOT_HTTP_PORT"] == dockerfile()["port"]
    assert env["MVBOT_DATABASE_URL"].startswith("postgresql")  # replicas need PostgreSQL
    config_map = one("ConfigMap", "mvbot-config")
    (name,) = config_map["data"]
    config = tmp_path / name
    config.write_text(config_map["data"][name])
    assert check_settings(env, config_file=config) == []


def test_services_reach_the_pods_and_the_budget_keeps_two_of_three() -> None:
    pod = one("StatefulSet")["spec"]["template"]
    names = {p["name"] for p in pod["spec"]["containers"][0]["ports"]}
    for service in (m for m in manifests() if m["kind"] == "Service"):
        assert selects(service["spec"]["selector"], pod["metadata"]["labels"])
        assert {p["targetPort"] for p in service["spec"]["ports"]} <= names
    budget = one("PodDisruptionBudget")
    assert budget["spec"]["minAvailable"] == 2
    assert selects(budget["spec"]["selector"]["matchLabels"], pod["metadata"]["labels"])
    assert one("StatefulSet")["spec"]["replicas"] > budget["spec"]["minAvailable"]
