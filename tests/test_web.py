import httpx

from bot.telemetry.metrics import Metrics
from bot.web import create_app


async def test_health_and_metrics() -> None:
    metrics = Metrics(replica="r1")
    metrics.describe("mvbot_commands_total", "Commands handled")
    metrics.inc("mvbot_commands_total", command="clip", outcome="ok")
    metrics.inc("mvbot_commands_total", command="clip", outcome="ok")
    healthy = {"store": "ok"}

    async def health() -> dict[str, str]:
        return healthy

    app = create_app(metrics=metrics, health=health)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://t") as c:
        ok = await c.get("/healthz")
        assert ok.status_code == 200 and ok.json() == {"status": "ok", "store": "ok"}
        text = (await c.get("/metrics")).text
        assert 'mvbot_commands_total{command="clip",outcome="ok",replica="r1"} 2.0' in text
        healthy["store"] = "error"
        assert (await c.get("/healthz")).status_code == 503


async def test_metrics_gauges_are_read_when_scraped() -> None:
    tasks = [3.0]
    metrics = Metrics(replica="r1")
    metrics.gauge("mvbot_tasks", "asyncio tasks alive", lambda: tasks[0])

    async def health() -> dict[str, str]:
        return {"store": "ok"}

    app = create_app(metrics=metrics, health=health)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://t") as c:
        first = (await c.get("/metrics")).text
        tasks[0] = 7
        second = (await c.get("/metrics")).text
    assert '# TYPE mvbot_tasks gauge\nmvbot_tasks{replica="r1"} 3.0\n' in first
    assert '\nmvbot_tasks{replica="r1"} 7.0\n' in second
