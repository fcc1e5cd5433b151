"""The fleet's latency histograms: one function per measurement, so that each metric's name,
labels and meaning live in one place (docs/operations.md, "What to watch", lists them).

Times that span processes (a clip asked on one replica and posted by another, a job due
before a failover) are wall-clock differences of stored times; a negative one (clocks a
little apart, a camera's clock ahead) counts as 0 rather than vanishing.
"""

from __future__ import annotations

from datetime import datetime

from bot.telemetry.metrics import Metrics

SLASH_ACK = "mvbot_slash_ack_seconds"
CLIP_DELIVERY = "mvbot_clip_delivery_seconds"
MQTT_INGEST_LAG = "mvbot_mqtt_ingest_lag_seconds"
JOB_LAG = "mvbot_job_lag_seconds"

HELP = {
    SLASH_ACK: "From a chat platform's request reaching mvbot to its HTTP answer "
    "(Slack: slash commands; Webex: webhook deliveries), by platform",
    CLIP_DELIVERY: "From a clip being asked for to the clip posted, by path "
    "(direct: fetched at once; deferred: waited for the cloud; alert: an automatic clip)",
    MQTT_INGEST_LAG: "Age of the oldest plate read of a batch when the batch is committed "
    "(the read's own time, else its arrival), one observation per batch",
    JOB_LAG: "From a scheduled job's due time to its start, by kind",
}


def describe_latencies(metrics: Metrics) -> None:
    """Help lines for the histograms below; call once, before their first use."""
    for name, text in HELP.items():
        metrics.describe(name, text)


def acknowledged(metrics: Metrics, platform: str, seconds: float) -> None:
    metrics.observe(SLASH_ACK, seconds, platform=platform)


def clip_delivered(metrics: Metrics, path: str, asked_at: datetime, posted_at: datetime) -> None:
    metrics.observe(CLIP_DELIVERY, _since(asked_at, posted_at), path=path)


def reads_committed(metrics: Metrics, oldest: datetime, committed_at: datetime) -> None:
    metrics.observe(MQTT_INGEST_LAG, _since(oldest, committed_at))


def job_started(metrics: Metrics, kind: str, due_at: datetime, started_at: datetime) -> None:
    metrics.observe(JOB_LAG, _since(due_at, started_at), kind=kind)


def _since(earlier: datetime, later: datetime) -> float:
    return max(0.0, (later - earlier).total_seconds())
