"""Plate matching, sightings, payload decoding and the simulator's noisy reads, as pure code."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.config import Settings
from bot.events.decode import (
    FieldMap,
    Malformed,
    PlateRead,
    _column_topic,
    _topic_serial,
    decode_plate,
    serial_from_topic,
)
from bot.events.evidence import Evidence
from bot.events.lpr import (
    PlateError,
    PlatePattern,
    Tolerance,
    canonical,
    edit_distance,
    in_cooldown,
    looks_like_plate,
    normalise,
    one_edit_apart,
)
from bot.events.routing import EventFacts, parse_room, routed_rooms
from bot.messages import Place
from simulator import default_fleet
from simulator.mqtt import FleetPublisher, PlateNoise

TOLERANCE = Tolerance()
FIELDS = FieldMap.from_settings(Settings().plates)
TOPIC = "/merakimv/+/lpr"
NOW = datetime(2026, 3, 23, 14, 30, tzinfo=UTC)
PLATE_TEXT = st.text(alphabet="ABCDEFGHJKLMNPQRSTUVWXYZ0123456789", min_size=5, max_size=8)


def sighting_of(serial: str, plate: str, first_at: datetime, last_at: datetime) -> Evidence:
    """A sighting as bot.events.evidence keeps it, from one read of `plate`."""
    evidence = Evidence(1, serial, first_at, last_at)
    evidence.add(plate, None, first_at, threshold=0.0)
    return evidence


def test_case_spaces_and_dashes_do_not_matter() -> None:
    assert normalise("abc-12 34") == "ABC1234"
    assert normalise(" é·ABC·1234 ") == "ABC1234"


@pytest.mark.parametrize("read", ["ABC-1234", "abc1234", "A8C1234", "ABC I234", "A8C-l234"])
def test_ocr_confusions_read_as_the_watched_plate(read: str) -> None:
    # "l" (lower-case L) is not a confusion class: it differs by one character, which the
    # default edit distance allows for a plate this long.
    assert PlatePattern.parse("abc1234").matches(read, TOLERANCE)
    assert PlatePattern.parse("A8C1234").matches(read, TOLERANCE)


def test_one_wrong_character_is_allowed_only_on_long_plates() -> None:
    assert PlatePattern.parse("ABC1234").matches("ABC1284", TOLERANCE)  # 3 → 8: one edit
    assert PlatePattern.parse("ABC1234").matches("ABC124", TOLERANCE)  # one missing
    assert not PlatePattern.parse("ABC1234").matches("AXC1284", TOLERANCE)  # two edits
    assert not PlatePattern.parse("AB12").matches("AB13", TOLERANCE)  # short: exact only
    assert PlatePattern.parse("AB12").matches("A8-I2", TOLERANCE)  # but confusions still equal
    strict = Tolerance(distance=0)
    assert not PlatePattern.parse("ABC1234").matches("ABC1284", strict)


def test_wildcards_match_any_characters_and_one_character() -> None:
    prefix = PlatePattern.parse('"ABC*"')
    assert prefix.wildcard and prefix.text == "ABC*"
    assert prefix.matches("ABC-1234", TOLERANCE)
    assert prefix.matches("A8C99", TOLERANCE)
    assert not prefix.matches("XABC1", TOLERANCE)
    one = PlatePattern.parse("AB?1234")
    assert one.matches("ABX1234", TOLERANCE) and not one.matches("AB1234", TOLERANCE)


@pytest.mark.parametrize("text", ["", "--", "*", "A*", "?"])
def test_patterns_that_would_match_everything_are_refused(text: str) -> None:
    with pytest.raises(PlateError):
        PlatePattern.parse(text)


def test_plate_like_words_have_a_digit_or_a_wildcard() -> None:
    assert looks_like_plate("ABC-1234") and looks_like_plate("ABC*")
    assert not looks_like_plate("garage") and not looks_like_plate("entrance")


@given(PLATE_TEXT, st.integers(min_value=0, max_value=7), st.randoms())
def test_any_single_confusion_or_format_change_still_matches(
    plate: str, index: int, rng: random.Random
) -> None:
    swaps = {"O": "0", "0": "O", "I": "1", "1": "I", "B": "8", "8": "B", "S": "5", "5": "S"}
    chars = list(plate)
    i = index % len(chars)
    chars[i] = swaps.get(chars[i], chars[i])
    read = "".join(chars)
    cut = rng.randint(0, len(read))
    read = (read[:cut] + rng.choice(["-", " ", ""]) + read[cut:]).lower()
    assert canonical(read) == canonical(plate)
    assert PlatePattern.parse(plate).matches(read, Tolerance(distance=0))


@given(PLATE_TEXT, PLATE_TEXT)
def test_edit_distance_is_symmetric_and_capped(a: str, b: str) -> None:
    assert edit_distance(a, b, 2) == edit_distance(b, a, 2) <= 3
    assert edit_distance(a, a, 0) == 0


def test_reads_join_a_sighting_on_the_same_camera_within_the_window() -> None:
    sighting = sighting_of("Q2GV", canonical("ABC1234"), NOW, NOW + timedelta(seconds=4))
    window = timedelta(seconds=10)
    assert sighting.takes("Q2GV", "A8C-1234", NOW + timedelta(seconds=13), window, TOLERANCE)
    assert not sighting.takes("Q2GV", "ABC1234", NOW + timedelta(seconds=15), window, TOLERANCE)
    assert not sighting.takes("Q2XX", "ABC1234", NOW + timedelta(seconds=5), window, TOLERANCE)
    assert not sighting.takes("Q2GV", "XYZ9876", NOW + timedelta(seconds=5), window, TOLERANCE)
    # A read cut off by the frame is the same car; two characters could be anything.
    assert sighting.takes("Q2GV", "A8C1", NOW + timedelta(seconds=5), window, TOLERANCE)
    assert sighting.takes("Q2GV", "C12", NOW + timedelta(seconds=5), window, TOLERANCE)
    assert not sighting.takes("Q2GV", "AB", NOW + timedelta(seconds=5), window, TOLERANCE)
    partial_first = sighting_of("Q2GV", canonical("ABC1"), NOW, NOW)
    assert partial_first.takes("Q2GV", "ABC-1234", NOW, window, TOLERANCE)


def test_the_cooldown_counts_from_the_last_time_the_room_was_told() -> None:
    five = timedelta(minutes=5)
    assert not in_cooldown(None, NOW, five)
    assert in_cooldown(NOW, NOW + timedelta(minutes=4), five)
    assert not in_cooldown(NOW, NOW + timedelta(minutes=5), five)
    assert in_cooldown(NOW, NOW - timedelta(minutes=1), five)  # a late read of before


def decode(payload: object, topic: str = "/merakimv/Q2GV-GRGE-0002/lpr") -> PlateRead:
    raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return decode_plate(topic, raw, TOPIC, FIELDS, NOW)


@pytest.mark.parametrize(
    ("payload", "at"),
    [
        ({"plate": "ABC-1234", "ts": 1774276200000}, datetime(2026, 3, 23, 14, 30, tzinfo=UTC)),
        ({"licensePlate": "abc1234", "timestamp": "2026-03-23T14:30:00Z"}, None),
        ({"plateNumber": "ABC 1234", "timestamp": 1774276200}, None),
        ({"text": "ABC1234", "timestamp": "1774276200.5"}, None),
        ({"plate": "ABC1234"}, NOW),
    ],
)
def test_the_default_mapping_reads_the_common_shapes(
    payload: dict[str, object], at: datetime | None
) -> None:
    read = decode(payload)
    assert (read.plate, read.serial) == ("ABC1234", "Q2GV-GRGE-0002")
    assert abs(read.at - (at or datetime(2026, 3, 23, 14, 30, tzinfo=UTC))) <= timedelta(seconds=1)


def test_fields_come_from_configured_paths_and_the_serial_from_the_payload() -> None:
    fields = FieldMap(("result.plate",), ("result.when",), ("result.score",), (), ("camera",))
    raw = json.dumps(
        {"camera": "Q2ZZ-0001", "result": {"plate": "xyz-987", "when": 1.7e9, "score": 93}}
    )
    read = decode_plate("/gateway/plates", raw.encode(), "/gateway/plates", fields, NOW)
    assert (read.serial, read.plate, read.confidence) == ("Q2ZZ-0001", "XYZ987", 0.93)


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"\x00garbage{", "not_json"),
        ([1, 2], "not_object"),
        ({"speed": 30}, "no_plate"),
        ({"plate": "-- --"}, "bad_plate"),
        ({"plate": "ABC1234", "ts": "yesterday"}, "bad_time"),
        ({"plate": "ABC1234", "ts": -5}, "bad_time"),
    ],
)
def test_what_is_not_a_read_is_malformed(payload: object, reason: str) -> None:
    with pytest.raises(Malformed) as raised:
        decode(payload)
    assert raised.value.reason == reason


def test_the_serial_comes_from_the_topic_level_under_the_plus() -> None:
    assert serial_from_topic("/merakimv/Q2AB/lpr", "/merakimv/+/lpr") == "Q2AB"
    assert serial_from_topic("/merakimv/Q2AB/lpr", "/merakimv/#") is None
    with pytest.raises(Malformed):
        decode({"plate": "ABC1234"}, topic="/other")


def test_a_noisy_car_from_the_simulator_is_one_sighting_of_its_plate() -> None:
    publisher = FleetPublisher("mqtt://127.0.0.1:1", default_fleet(), seed=3, noise=PlateNoise())
    reads = publisher.misreads("ABC-1234", 50)
    assert len({text for text, _ in reads}) > 5  # it really is noisy
    watch = PlatePattern.parse("ABC1234")
    matching = [text for text, _ in reads if watch.matches(text, TOLERANCE)]
    assert len(matching) >= 45  # only partial reads miss
    sighting = sighting_of("Q2GV", canonical(reads[0][0]), NOW, NOW)
    window = timedelta(seconds=10)
    longer = [text for text, _ in reads if len(normalise(text)) >= 3]
    assert all(sighting.takes("Q2GV", text, NOW, window, TOLERANCE) for text in longer)
    # Partial reads are the unconfident ones, and so never what alerts a room.
    assert all(c < Settings().plates.min_confidence for t, c in reads if t not in matching)


def test_routing_rules_need_every_list_that_is_not_empty_to_match() -> None:
    rules = [
        {"rooms": "slack:C1", "types": ["motion_alert"]},
        {"rooms": "webex:Y2, slack:C1", "cameras": ["Lobby"], "networks": ["HQ"]},
    ]
    routes = Settings().with_overrides({"events": {"routes": rules}}).events.routes
    lobby_motion = EventFacts("Q2FV", "Lobby", "L_1", "HQ", "motion_alert")
    assert routed_rooms(lobby_motion, routes) == [Place("slack", "C1"), Place("webex", "Y2")]
    badge = EventFacts("Q2FV", "Lobby", "L_2", "DC", "access")
    assert routed_rooms(badge, routes) == []
    assert parse_room("Slack:C1") == Place("slack", "C1")
    with pytest.raises(ValueError):
        parse_room("C1")


def test_one_edit_apart_says_what_the_edit_distance_table_says() -> None:
    rng = random.Random(12)
    for _ in range(20_000):
        a, b = ("".join(rng.choice("AB0") for _ in range(rng.randint(0, 6))) for _ in "ab")
        if a != b:
            assert one_edit_apart(a, b) == (edit_distance(a, b, 1) == 1), (a, b)


def test_a_topic_too_long_for_the_store_is_read_but_not_remembered() -> None:
    # The serial and stored form of each topic are cached: a fleet has few topics. Anyone who
    # can publish could send endless long ones, so those are worked out every time instead.
    cached = (_topic_serial.cache_info().currsize, _column_topic.cache_info().currsize)
    topic = "/merakimv/Q2GV-GRGE-0002/lpr/" + "x" * 300
    for n in range(3):
        read = decode({"plate": "ABC1234"}, topic=topic + str(n))
        assert (read.serial, read.topic) == ("Q2GV-GRGE-0002", topic[:255])
    assert (_topic_serial.cache_info().currsize, _column_topic.cache_info().currsize) == cached
