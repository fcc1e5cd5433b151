import httpx

from bot.telemetry.metrics import Metrics
from bot.web import create_app


async def test_health_and_metrics() -> None:
    metrics = Metrics()
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
        assert 'mvbot_commands_total{command="clip",outcome="ok"} 2' in text
        healthy["store"] = "error"
        assert (await c.get("/healthz")).status_code == 503
