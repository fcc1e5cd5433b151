"""Occupancy's pure parts: Sense topics, live freshness, windows, grammar, zones, alert logic."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.commands.occupancy_grammar import AddAlert, ListAlerts, Query, RemoveAlert, parse_occupancy
from bot.errors import UserError
from bot.grammar.tokens import ParseError, tokenize
from bot.messages import Place
from bot.occupancy.history import bucket_for, split_span
from bot.occupancy.live import LiveCounts, SenseUpdate, parse_sense_message
from bot.occupancy.threshold_store import AlertRule
from bot.occupancy.thresholds import Decision, decide, rearm_level
from bot.occupancy.window import Day, Last, Span, parse_window, resolve_window
from bot.occupancy.zones import Region, find_region

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
# Wednesday 25 March 2026, 15:42:30 in Amsterdam (CET).
NOW = datetime(2026, 3, 25, 14, 42, 30, tzinfo=UTC)


# Sense MQTT messages -------------------------------------------------------------------


def message(**body: object) -> bytes:
    return json.dumps(body).encode()


def test_a_zone_message_becomes_an_update() -> None:
    update = parse_sense_message(
        "/merakimv/Q2JV-WRHS-0004/566327653141842188",
        message(ts=1541699602570, counts={"person": 3, "vehicle": 1}),
    )
    assert update == SenseUpdate(
        "Q2JV-WRHS-0004", "566327653141842188", 1541699602570, {"person": 3, "vehicle": 1}
    )
    assert update.at == datetime(2018, 11, 8, 17, 53, 22, 570000, tzinfo=UTC)


@pytest.mark.parametrize(
    ("topic", "payload"),
    [
        ("/merakimv/Q2JV/raw_detections", message(ts=1, objects=[])),
        ("/merakimv/Q2JV/light", message(lux=300)),
        ("/merakimv/Q2JV/audio_detections", message(ts=1)),
        ("/merakimv/Q2JV/lpr", message(ts=1, plate="ABC123")),
        ("/merakimv/Q2JV/0", b"\x00not json"),
        ("/merakimv/Q2JV/0", message(ts="yesterday", counts={"person": 1})),
        ("/merakimv/Q2JV/0", message(ts=1, counts={"person": -2})),
        ("/merakimv/Q2JV/0", message(ts=1, counts={"person": True})),
        ("/merakimv/Q2JV/0", message(ts=1)),
        ("/elsewhere/Q2JV/0", message(ts=1, counts={"person": 1})),
    ],
)
def test_other_topics_and_broken_payloads_are_ignored(topic: str, payload: bytes) -> None:
    assert parse_sense_message(topic, payload) is None


def test_live_counts_keep_the_newest_reading_and_know_when_it_is_stale() -> None:
    now = [NOW]
    live = LiveCounts(staleness=timedelta(seconds=30), clock=lambda: now[0], configured=True)
    seen: list[SenseUpdate] = []
    live.subscribe(seen.append)
    ms = int(NOW.timestamp() * 1000)
    live.update("S", "0", ms, {"person": 5})
    live.update("S", "0", ms - 5000, {"person": 9})  # late duplicate from a reconnect
    live.update("S", "1", ms, {"person": 2})
    assert live.readings("S")["0"].counts == {"person": 5}
    assert [u.counts["person"] for u in seen] == [5, 2]
    fresh = live.fresh("S", ["0", "1"])
    assert fresh is not None and fresh["1"].counts == {"person": 2}
    assert live.fresh("S", ["0", "1", "2"]) is None  # a zone never heard of
    now[0] = NOW + timedelta(seconds=31)
    assert live.fresh("S", ["0", "1"]) is None
    assert live.last_seen("S") == NOW.replace(microsecond=0)


# Windows -------------------------------------------------------------------------------


def window(text: str) -> tuple[datetime, datetime]:
    parsed = parse_window(tokenize(text))
    assert parsed is not None
    return resolve_window(parsed, AMSTERDAM, NOW)


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=AMSTERDAM).astimezone(UTC)


def test_windows_resolve_to_whole_minutes_in_the_cameras_zone() -> None:
    assert parse_window(tokenize("8h")) == Last(timedelta(hours=8))
    assert window("1h") == (local("2026-03-25 14:42"), local("2026-03-25 15:42"))
    assert window("24h") == (local("2026-03-24 15:42"), local("2026-03-25 15:42"))
    assert window("today") == (local("2026-03-25 00:00"), local("2026-03-25 15:42"))
    assert window("yesterday") == (local("2026-03-24 00:00"), local("2026-03-25 00:00"))
    assert window("mon") == (local("2026-03-23 00:00"), local("2026-03-24 00:00"))
    assert window("wed") == (local("2026-03-25 00:00"), local("2026-03-25 15:42"))
    assert window("14:00-18:00") == (local("2026-03-25 14:00"), local("2026-03-25 15:42"))
    assert window("yesterday 9am-5pm") == (local("2026-03-24 09:00"), local("2026-03-24 17:00"))
    assert window("since 8am") == (local("2026-03-25 08:00"), local("2026-03-25 15:42"))
    assert window("last 2d") == (local("2026-03-23 15:42"), local("2026-03-25 15:42"))


def test_the_day_clocks_go_forward_lasts_23_hours() -> None:
    parsed = parse_window(tokenize("2026-03-29"))  # Europe's spring change
    assert parsed == Day(date=datetime(2026, 3, 29).date())
    start, end = resolve_window(parsed, AMSTERDAM, datetime(2026, 3, 30, tzinfo=UTC))
    assert (start, end) == (local("2026-03-29 00:00"), local("2026-03-30 00:00"))
    assert end - start == timedelta(hours=23)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("14:30", "not one moment"),
        ("tomorrow 9am-10am", "not started yet"),
        ("2026-02-30", "not a date"),
    ],
)
def test_bad_windows_say_why(text: str, says: str) -> None:
    with pytest.raises(ParseError, match=says):
        window(text)


# Grammar -------------------------------------------------------------------------------


def parse(text: str) -> object:
    return parse_occupancy(tokenize(text))


def test_the_command_grammar() -> None:
    assert parse("warehouse") == Query("warehouse", None, None)
    assert parse("garage entrance") == Query("garage entrance", None, None)
    assert parse("all") == Query(None, None, None)
    assert parse("warehouse zone dock doors") == Query("warehouse", "dock doors", None)
    assert parse("warehouse zone aisle 3 8h csv") == Query(
        "warehouse", "aisle 3", Last(timedelta(hours=8)), csv=True
    )
    query = parse('"Loading Dock" 14:00-18:00')
    assert isinstance(query, Query) and isinstance(query.window, Span)
    assert parse("lobby today") == Query("lobby", None, Day(days_ago=0))
    assert parse("alert warehouse zone dock doors above 10") == AddAlert(
        "warehouse", "dock doors", 10
    )
    assert parse("alert lobby above 3") == AddAlert("lobby", None, 3)
    assert parse("alerts") == ListAlerts()
    assert parse("alert off 3") == RemoveAlert(3)
    assert parse("alert off #4") == RemoveAlert(4)
    assert parse("alert off warehouse zone aisle 3") == RemoveAlert(None, "warehouse", "aisle 3")


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "Which camera"),
        ("warehouse zone", "Which zone"),
        ("all 8h", "ask one camera"),
        ("warehouse csv", "`csv` goes with a window"),
        ("alert warehouse", "Above how many"),
        ("alert warehouse above lots", "whole number"),
        ("warehouse 25:00", "not a time of day"),
        ("warehouse zone dock 8:75", "not a time of day"),
    ],
)
def test_grammar_mistakes_say_what_to_type(text: str, says: str) -> None:
    with pytest.raises(ParseError, match=says):
        parse(text)


# Zones, spans ----------------------------------------------------------------------------

REGIONS = [
    Region("0", "Full Frame", "zone"),
    Region("1", "Dock Doors", "zone"),
    Region("2", "Aisle 3", "zone"),
    Region("3", "Aisle 4", "zone"),
]


def test_zones_are_found_by_label_and_mistakes_name_the_zones() -> None:
    assert find_region(REGIONS, "dock doors", "Warehouse").name == "Dock Doors"
    assert find_region(REGIONS, "DOCK", "Warehouse").name == "Dock Doors"
    assert find_region(REGIONS, "aisle 3", "Warehouse").name == "Aisle 3"
    with pytest.raises(UserError, match="'aisle' matches Aisle 3 and Aisle 4"):
        find_region(REGIONS, "aisle", "Warehouse")
    with pytest.raises(UserError, match=r"no zone 'roof'.*Full Frame, Dock Doors, Aisle 3"):
        find_region(REGIONS, "roof", "Warehouse")


def test_long_windows_split_into_requests_the_api_allows() -> None:
    start = NOW
    pieces = split_span(start, start + timedelta(hours=24), timedelta(hours=14))
    assert pieces == [
        (start, start + timedelta(hours=14)),
        (start + timedelta(hours=14), start + timedelta(hours=24)),
    ]
    assert len(split_span(start, start + timedelta(days=7), timedelta(hours=14))) == 12
    assert bucket_for(timedelta(hours=1)) == timedelta(minutes=5)
    assert bucket_for(timedelta(hours=24)) == timedelta(minutes=30)
    assert bucket_for(timedelta(days=7)) == timedelta(hours=6)


# Alert logic ---------------------------------------------------------------------------


def rule(armed: bool = True, fired: datetime | None = None) -> AlertRule:
    place = Place("memory", "R1")
    return AlertRule(1, "S", "Warehouse", "0", "Full Frame", 20, place, "U2", NOW, armed, fired)


def test_an_alert_fires_above_n_and_rearms_only_below_the_band() -> None:
    def check(alert: AlertRule, count: int, at: datetime) -> Decision:
        return decide(alert, count, at, hysteresis=0.1, cooldown=timedelta(minutes=10))

    assert rearm_level(20, 0.1) == 18
    assert rearm_level(5, 0.1) == 4  # at least one below n
    assert check(rule(), 20, NOW) is Decision.KEEP
    assert check(rule(), 21, NOW) is Decision.FIRE
    fired = rule(armed=False, fired=NOW)
    assert check(fired, 25, NOW) is Decision.KEEP
    assert check(fired, 18, NOW) is Decision.KEEP
    assert check(fired, 17, NOW) is Decision.REARM
    rearmed = rule(armed=True, fired=NOW)
    soon = NOW + timedelta(minutes=5)
    assert check(rearmed, 21, soon) is Decision.SUPPRESS
    assert check(rearmed, 21, NOW + timedelta(minutes=10)) is Decision.FIRE
