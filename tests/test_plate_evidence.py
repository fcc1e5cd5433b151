"""Sightings by evidence and poison-proof decoding, as pure code: one car is one sighting named
by its best-supported read, and no payload gets past decoding unless the store can hold it."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from itertools import count

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.config import Settings
from bot.events import evidence as evidence_module
from bot.events.decode import FieldMap, Malformed, decode_plate
from bot.events.evidence import Evidence, EvidenceIndex
from bot.events.lpr import Tolerance

NOW = datetime(2026, 3, 23, 14, 30, tzinfo=UTC)
WINDOW = timedelta(seconds=10)
GARAGE, LOBBY = "Q2GV-GRGE-0002", "Q2LB-LBBY-0001"
FIELDS = FieldMap.from_settings(Settings().plates)
TOPIC = f"/merakimv/{GARAGE}/lpr"
YEAR = timedelta(days=365)


class Sightings:
    """An index fed the way bot.events.sightings feeds it: find, else start a new sighting."""

    def __init__(self) -> None:
        self.index = EvidenceIndex(WINDOW, Tolerance(), threshold=0.5)
        self.ids = count(1)
        self.all: list[Evidence] = []

    def read(self, plate: str, seconds: float, confidence: float = 0.9, serial: str = GARAGE):
        at = NOW + timedelta(seconds=seconds)
        found = self.index.find(serial, plate, at)
        if found is not None:
            self.index.extend(found, plate, confidence, at)
            return found
        evidence = Evidence(next(self.ids), serial, at, at)
        evidence.add(plate, confidence, at, 0.5)
        self.index.register(evidence)
        self.all.append(evidence)
        return evidence


def test_a_first_read_that_dropped_a_character_does_not_split_the_car() -> None:
    cars = Sightings()
    first = cars.read("XY2986", 0.0, 0.55)  # the Z dropped
    assert cars.read("XYZ9876", 0.4, 0.96) is first
    # Two characters away from the first read, one from the second: still the same car.
    assert cars.read("Y29876", 1.0, 0.7) is first
    assert len(cars.all) == 1
    assert first.best() == ("XYZ9876", 0.96)


def test_the_sighting_is_named_by_its_best_supported_read_not_its_first() -> None:
    cars = Sightings()
    car = cars.read("VJQ8B49", 0.0, 0.61)
    cars.read("VJQ8849", 0.5, 0.96)
    cars.read("VJQ8849", 1.0, 0.93)
    assert car.best() == ("VJQ8849", 0.96)
    assert car.reads == 3
    assert set(car.confident) == {"VJQ8B49", "VJQ8849"}


def test_other_cameras_other_cars_and_reads_past_the_window_start_new_sightings() -> None:
    cars = Sightings()
    car = cars.read("ABC1234", 0.0)
    assert cars.read("ABC1234", 1.0, serial=LOBBY) is not car
    assert cars.read("XYZ9876", 2.0) is not car
    assert cars.read("ABC1234", 25.0) is not car
    assert cars.read("ABC1", 3.0) is car  # a partial read, cut off by the frame


def test_windows_past_the_limit_are_forgotten_with_the_sightings_only_they_hold(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(evidence_module, "MAX_BUCKETS", 2)
    cars = Sightings()
    width = 2 * WINDOW.total_seconds()  # the index's windows
    number = int(NOW.timestamp() // width)  # NOW's window
    start = number * width - NOW.timestamp()  # its start, in seconds from NOW
    old = cars.read("ABC1234", start + 1)
    spanning = cars.read("XYZ9876", start + width - 1)
    cars.read("XYZ9876", start + width + 1)  # into the next window
    for later in range(3):  # the store's windows, as bot.events.sightings loads them
        cars.index.loaded((GARAGE, number + later), [])
    # One window too many: the oldest is dropped, with the sighting only it held.
    assert cars.index.missing([(GARAGE, number)]) == [(GARAGE, number)]
    assert cars.index.known(old.id) is None
    assert cars.index.known(spanning.id) is spanning


BASES = ("ABC1234", "A8C1235", "XYZ9876", "KLM24")


@st.composite
def noisy_reads(draw: st.DrawFn) -> str:
    """A few cars read the way OCR reads them: confused, a character lost, cut off."""
    plate = draw(st.sampled_from(BASES))
    op = draw(st.sampled_from(("same", "drop", "swap", "head", "tail")))
    at = draw(st.integers(0, len(plate) - 1))
    if op == "drop":
        return plate[:at] + plate[at + 1 :]
    if op == "swap":
        return plate[:at] + draw(st.sampled_from("0128ZBSO")) + plate[at + 1 :]
    if op == "head":
        return plate[: max(at, 2)]
    if op == "tail":
        return plate[min(at, len(plate) - 2) :]
    return plate


@settings(max_examples=150, deadline=None)
@given(reads=st.lists(st.tuples(noisy_reads(), st.floats(0, 40)), min_size=1, max_size=40))
def test_the_index_finds_exactly_what_comparing_with_every_sighting_finds(
    reads: list[tuple[str, float]],
) -> None:
    cars = Sightings()
    for plate, seconds in sorted(reads, key=lambda r: r[1]):
        at = NOW + timedelta(seconds=seconds)
        takers = [e for e in cars.all if e.takes(GARAGE, plate, at, WINDOW, cars.index.tolerance)]
        found = cars.index.find(GARAGE, plate, at)
        if not takers:
            assert found is None
        else:
            assert found is max(takers, key=lambda e: (e.last_at, e.id))
        cars.read(plate, seconds)


def decode(payload: bytes) -> None:
    decode_plate(TOPIC, payload, "/merakimv/+/lpr", FIELDS, NOW, oldest=YEAR)


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"[" * 100_000 + b"]" * 100_000, "too_deep"),
        (b'{"plate": "PZ1", "ts": "9999-12-31T23:59:59-14:00"}', "bad_time"),
        (b'{"plate": "PZ1", "ts": "0001-01-01T00:00:00"}', "too_old"),
        (b'{"plate": "PZ1", "ts": "2026-03-25T14:30:00Z"}', "bad_time"),  # two days ahead
        (b'{"plate": "PZ1", "ts": "2024-03-23T14:30:00Z"}', "too_old"),  # past retention
        (b'{"plate": "PZ1", "ts": 1e300}', "bad_time"),
        (json.dumps({"plate": "PZ1", "serial": "Q" * 65}).encode(), "bad_serial"),
        (json.dumps({"plate": "PZ1", "serial": "Q2\u0000X"}).encode(), "bad_serial"),
    ],
)
def test_poison_is_malformed_with_its_reason(payload: bytes, reason: str) -> None:
    with pytest.raises(Malformed) as raised:
        decode(payload)
    assert raised.value.reason == reason


def test_what_the_store_cannot_hold_is_cleaned_before_it_gets_there() -> None:
    payload = {"plate": "AB\u0000C-123", "region": "US\u0000NY", "serial": "q2gv-grge-0002"}
    read = decode_plate(TOPIC, json.dumps(payload).encode(), "/merakimv/+/lpr", FIELDS, NOW)
    assert (read.plate, read.raw, read.region, read.serial) == (
        "ABC123",
        "ABC-123",
        "USNY",
        GARAGE,
    )
