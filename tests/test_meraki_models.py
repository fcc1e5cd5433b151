"""Parsing Dashboard API answers into typed models, timestamps and URL redaction."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import httpx
import pytest

from bot.meraki import (
    Availability,
    Boundary,
    DetectionCount,
    Device,
    LiveOccupancy,
    MediaLink,
    MerakiClient,
    MerakiError,
    Point,
    SenseSettings,
    TimeRange,
    VideoSettings,
    ZoneCount,
    format_timestamp,
    parse_timestamp,
    redact_url,
)
from tests.test_meraki_virtualtime import run_virtual


def test_format_timestamp_is_utc_with_milliseconds() -> None:
    local = datetime(2026, 3, 23, 9, 30, 0, 123_456, tzinfo=timezone(timedelta(hours=-5)))
    assert format_timestamp(local) == "2026-03-23T14:30:00.123Z"


def test_format_timestamp_refuses_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="naive"):
        format_timestamp(datetime(2026, 3, 23, 14, 30))


@pytest.mark.parametrize(
    "value",
    ["2026-03-23T14:30:00.000Z", "2026-03-23T15:30:00+01:00", 1774276200000],
)
def test_parse_timestamp_reads_iso_and_epoch_millis(value: object) -> None:
    assert parse_timestamp(value) == datetime(2026, 3, 23, 14, 30, tzinfo=UTC)


def test_device_keeps_raw_fields_and_tolerates_missing_ones() -> None:
    raw = {"serial": "Q2XX-1", "name": None, "model": "MV12", "networkId": "N1", "extra": 1}
    device = Device.from_api(raw)
    assert (device.serial, device.name, device.model, device.network_id) == (
        "Q2XX-1",
        "",
        "MV12",
        "N1",
    )
    assert device.raw["extra"] == 1
    assert Device.from_api({**raw, "tags": "a b"}).tags == ("a", "b")


def test_availability_reads_nested_network() -> None:
    status = Availability.from_api({"serial": "S", "status": "offline", "network": {"id": "N"}})
    assert (status.network_id, status.online) == ("N", False)


def test_media_link_repr_hides_the_token() -> None:
    link = MediaLink.from_api(
        {"url": "https://spn49.meraki.com/stream/jpeg/snapshot/v2/SECRET?a=B"}
    )
    assert "SECRET" not in repr(link) and "B" not in repr(link).split("expiry")[0]
    assert repr(link).startswith("MediaLink(url='https://spn49.meraki.com/stream/…'")
    assert redact_url("http://127.0.0.1:8000/") == "http://127.0.0.1:8000/…"


def test_settings_models() -> None:
    video = VideoSettings.from_api(
        {"externalRtspEnabled": True, "rtspUrl": "rtsp://10.0.0.5:9000/live"}
    )
    assert video.external_rtsp_enabled and video.rtsp_url == "rtsp://10.0.0.5:9000/live"
    sense = SenseSettings.from_api(
        {
            "senseEnabled": True,
            "mqttBrokerId": "b1",
            "mqttTopics": ["/merakimv/Q2/0"],
            "audioDetection": {"enabled": True},
        }
    )
    assert sense.mqtt_topics == ("/merakimv/Q2/0",) and sense.audio_detection_enabled


def test_live_occupancy_reads_both_shapes() -> None:
    current = LiveOccupancy.from_api(
        {"ts": "2026-03-23T14:30:00Z", "zones": {"0": {"person": 3, "vehicle": 1}}}
    )
    assert current.zones == {"0": {"person": 3, "vehicle": 1}}
    legacy = LiveOccupancy.from_api({"ts": 1774276200000, "state": {"0": 2, "5663": 0}})
    assert legacy.zones == {"0": {"person": 2}, "5663": {"person": 0}}
    assert legacy.at == current.at


def test_zone_counts_and_boundaries_and_detections() -> None:
    count = ZoneCount.from_api(
        {
            "startTs": "2026-03-23T14:00:00Z",
            "endTs": "2026-03-23T15:00:00Z",
            "zoneId": 0,
            "entrances": 4,
            "averageCount": 0.5,
        }
    )
    assert (count.zone_id, count.entrances, count.average_count) == ("0", 4, 0.5)
    areas = Boundary.list_from_api(
        {
            "serial": "Q2",
            "networkId": "N",
            "boundaries": {
                "id": "b1",
                "name": "Door",
                "type": "line",
                "vertices": [{"x": 0.1, "y": 0.2}, {"x": 0.3, "y": 0.4}],
                "directionVertex": {"x": 0.5, "y": 0.5},
            },
        }
    )
    assert areas[0].vertices == (Point(0.1, 0.2), Point(0.3, 0.4))
    assert areas[0].direction_vertex == Point(0.5, 0.5)
    counts = DetectionCount.list_from_api(
        {
            "boundaryId": "b1",
            "type": "line",
            "results": {
                "startTime": "2026-03-23T14:00:00Z",
                "endTime": "2026-03-23T15:00:00Z",
                "objectType": "person",
                "in": 7,
                "out": 5,
            },
        }
    )
    assert (counts[0].entered, counts[0].exited, counts[0].object_type) == (7, 5, "person")


def test_detections_history_encodes_array_params_like_the_sdk() -> None:
    seen: list[httpx.Request] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=[])

    async def main() -> None:
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
            client = MerakiClient("k", "https://api.example.test/api/v1", org_id="o1", http=http)
            start = datetime(2026, 3, 23, 14, tzinfo=UTC)
            await client.detections_history(
                ["b1", "b2"], [TimeRange(start, start + timedelta(hours=2), 3600)]
            )

    run_virtual(main())
    params = seen[0].url.params
    assert seen[0].url.path.endswith(
        "/organizations/o1/camera/detections/history/byBoundary/byInterval"
    )
    assert params.get_list("boundaryIds[]") == ["b1", "b2"]
    assert params["ranges[]startTime"] == "2026-03-23T14:00:00.000Z"
    assert params["ranges[]interval"] == "3600"
    assert params["boundaryTypes[]"] == "person"


def test_a_malformed_answer_is_a_meraki_error_not_a_key_error() -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"no": "url"})

    async def main() -> Any:
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
            client = MerakiClient("k", "https://api.example.test/api/v1", org_id="o1", http=http)
            start = datetime(2026, 3, 23, 14, tzinfo=UTC)
            return await client.clip_link("Q2", start, start + timedelta(seconds=30))

    with pytest.raises(MerakiError, match="unexpected answer"):
        run_virtual(main())
