"""The camera directory: resolving what people call a camera, filtering, and time zones."""

from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.cameras.directory import (
    AmbiguousCamera,
    CameraDirectory,
    CameraLookupError,
    CameraNotFound,
    CameraRecord,
)
from bot.commands.clip import parse_clip
from bot.grammar import split_command

NY, AMS = "America/New_York", "Europe/Amsterdam"
LOBBY = CameraRecord("Q2XX-AAAA-0001", "Lobby", "MV12", "N_1", "HQ", NY, ("indoor",))
GARAGE_IN = CameraRecord(
    "Q2XX-AAAA-0002", "Garage Entrance", "MV63", "N_1", "HQ", NY, ("outdoor", "parking"), lpr=True
)
GARAGE_OUT = CameraRecord("Q2XX-AAAA-0003", "Garage Exit", "MV12", "N_1", "HQ", NY, ("outdoor",))
DOCK = CameraRecord(
    "Q2XX-BBBB-0001",
    "Loading Dock Cam",
    "MV72",
    "N_2",
    "Warehouse",
    AMS,
    ("dock",),
    status="offline",
    sense=True,
    imagers=2,
)
GATE_1 = CameraRecord("Q2XX-CCCC-0001", "Gate 1", "MV22", "N_2", "Warehouse", AMS)
GATE_10 = CameraRecord("Q2XX-CCCC-0010", "Gate 10", "MV22", "N_2", "Warehouse", AMS)
FLEET = (LOBBY, GARAGE_IN, GARAGE_OUT, DOCK, GATE_1, GATE_10)


@pytest.fixture
def directory() -> CameraDirectory:
    return CameraDirectory(FLEET, aliases={"front desk": "Lobby", "ramp": "q2xx-aaaa-0003"})


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Q2XX-AAAA-0002", GARAGE_IN),  # serial
        ("q2xxaaaa0002", GARAGE_IN),  # serial, any case and punctuation
        ("lobby", LOBBY),  # exact name
        ("Lobby", LOBBY),
        ("  LOBBY  ", LOBBY),
        ("garage entrance", GARAGE_IN),
        ("Garage-Entrance", GARAGE_IN),
        ("front desk", LOBBY),  # alias to a name
        ("Front-Desk", LOBBY),
        ("ramp", GARAGE_OUT),  # alias to a serial
        ("lobby cam", LOBBY),  # noise words ignored
        ("the lobby camera", LOBBY),
        ("loading dock", DOCK),
        ("gate 1", GATE_1),
        ("gate 1 cam", GATE_1),
        ("dock", DOCK),  # a word of the name
        ("entrance", GARAGE_IN),
        ("garage ent", GARAGE_IN),  # word prefixes
        ("gar exit", GARAGE_OUT),
        ("load", DOCK),
        ("ntranc", GARAGE_IN),  # unique part of a name
        ("BBBB-0001", DOCK),  # part of a serial
    ],
)
def test_resolve_finds_the_one_camera_meant(
    directory: CameraDirectory, query: str, expected: CameraRecord
) -> None:
    assert directory.resolve(query) == expected


def test_an_ambiguous_query_lists_the_candidates(directory: CameraDirectory) -> None:
    with pytest.raises(AmbiguousCamera) as caught:
        directory.resolve("garage")
    assert caught.value.candidates == [GARAGE_IN, GARAGE_OUT]
    assert str(caught.value) == (
        "'garage' matches 2 cameras: Garage Entrance (MV63, Q2XX-AAAA-0002), "
        "Garage Exit (MV12, Q2XX-AAAA-0003) — say which."
    )


def test_gate_matches_both_gates(directory: CameraDirectory) -> None:
    with pytest.raises(AmbiguousCamera) as caught:
        directory.resolve("gate")
    assert caught.value.candidates == [GATE_1, GATE_10]


def test_cameras_sharing_a_name_are_ambiguous_even_when_exact() -> None:
    twin = CameraRecord("Q2XX-DDDD-0001", "Lobby", "MV2", "N_3", "Branch", NY)
    with pytest.raises(AmbiguousCamera, match="matches 2 cameras"):
        CameraDirectory([LOBBY, twin]).resolve("lobby")
    assert CameraDirectory([LOBBY, twin]).resolve("Q2XX-DDDD-0001") == twin


def test_a_long_candidate_list_is_shortened() -> None:
    fleet = [
        CameraRecord(f"Q2XX-EEEE-{i:04}", f"Aisle {i}", "MV2", "N", "Store", NY) for i in range(8)
    ]
    with pytest.raises(AmbiguousCamera) as caught:
        CameraDirectory(fleet).resolve("aisle")
    assert str(caught.value).endswith("and 3 more — say which.")


def test_a_typo_is_suggested_never_chosen(directory: CameraDirectory) -> None:
    with pytest.raises(CameraNotFound) as caught:
        directory.resolve("lobbby")
    assert caught.value.suggestions[0] == LOBBY
    assert (
        str(caught.value)
        == "Camera 'lobbby' not found — did you mean Lobby (MV12, Q2XX-AAAA-0001)?"
    )


def test_typos_of_multi_word_names_and_aliases_are_suggested(directory: CameraDirectory) -> None:
    with pytest.raises(CameraNotFound) as caught:
        directory.resolve("garaje entrence")
    assert caught.value.suggestions[0] == GARAGE_IN
    with pytest.raises(CameraNotFound) as caught:
        directory.resolve("frnt desk")
    assert caught.value.suggestions[0] == LOBBY


def test_an_unknown_name_without_anything_close(directory: CameraDirectory) -> None:
    with pytest.raises(CameraNotFound) as caught:
        directory.resolve("kitchen")
    assert caught.value.suggestions == []
    assert str(caught.value) == "Camera 'kitchen' not found — say `cameras` to list them."


@pytest.mark.parametrize("query", ["", "   ", "!!"])
def test_an_empty_query_asks_which_camera(directory: CameraDirectory, query: str) -> None:
    with pytest.raises(CameraNotFound, match="Which camera"):
        directory.resolve(query)


def test_an_alias_to_a_missing_camera_matches_nothing() -> None:
    directory = CameraDirectory([LOBBY], aliases={"old": "Demolished Cam"})
    with pytest.raises(CameraNotFound):
        directory.resolve("old")


def test_refreshed_records_keep_aliases_and_overrides(directory: CameraDirectory) -> None:
    renamed = CameraRecord("Q2XX-AAAA-0003", "Garage Out", "MV12", "N_1", "HQ", NY)
    fresh = directory.with_records([LOBBY, renamed])
    assert fresh.resolve("ramp") == renamed
    assert len(fresh) == 2 and list(fresh) == [renamed, LOBBY]
    assert fresh.get("q2xx-aaaa-0003") == renamed and fresh.get("nope") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (None, [GARAGE_IN, GARAGE_OUT, GATE_1, GATE_10, DOCK, LOBBY]),
        ("", [GARAGE_IN, GARAGE_OUT, GATE_1, GATE_10, DOCK, LOBBY]),
        ("garage", [GARAGE_IN, GARAGE_OUT]),
        ("offline", [DOCK]),
        ("MV12", [GARAGE_OUT, LOBBY]),
        ("mv63", [GARAGE_IN]),
        ("warehouse", [GATE_1, GATE_10, DOCK]),
        ("outdoor", [GARAGE_IN, GARAGE_OUT]),
        ("outdoor exit", [GARAGE_OUT]),
        ("hq mv12", [GARAGE_OUT, LOBBY]),
        ("lpr", [GARAGE_IN]),
        ("sense", [DOCK]),
        ("dock cams", [DOCK]),
        ("kitchen", []),
    ],
)
def test_filter_matches_name_model_network_tag_and_status(
    directory: CameraDirectory, text: str | None, expected: list[CameraRecord]
) -> None:
    assert directory.filter(text) == expected


def test_zone_is_the_networks_unless_overridden() -> None:
    directory = CameraDirectory(
        FLEET,
        tz_overrides={
            "Q2XX-AAAA-0002": "Asia/Kolkata",
            "warehouse": "UTC",
            "Lobby": "Europe/London",
        },
    )
    assert directory.zone(GARAGE_OUT) == ZoneInfo(NY)
    assert directory.zone(GARAGE_IN) == ZoneInfo("Asia/Kolkata")  # by serial
    assert directory.zone(DOCK) == ZoneInfo("UTC")  # by network name
    assert directory.zone(LOBBY) == ZoneInfo("Europe/London")  # by camera name
    stranger = CameraRecord("Q2XX-ZZZZ-0001", "New", "MV2", "N_2", "Warehouse", AMS)
    assert directory.zone(stranger) == ZoneInfo("UTC")


@pytest.mark.parametrize("zone", ["", "Mars/Olympus", "America", "../etc/passwd"])
def test_a_camera_with_an_unknown_zone_falls_back_to_utc(zone: str) -> None:
    odd = CameraRecord("Q2XX-ZZZZ-0002", "Odd", "MV2", "N_9", "Nowhere", zone)
    assert CameraDirectory([odd]).zone(odd) == ZoneInfo("UTC")


def test_a_bad_override_is_refused_at_construction() -> None:
    with pytest.raises(ValueError, match="Mars/Olympus"):
        CameraDirectory(FLEET, tz_overrides={"lobby": "Mars/Olympus"})


def test_label() -> None:
    assert DOCK.label == "Loading Dock Cam (MV72, Q2XX-BBBB-0001)"


@settings(max_examples=300, deadline=None, database=None)
@given(st.text(max_size=40) | st.sampled_from(["lobby", "garage", "gate 1", "lobbby", "cam"]))
def test_any_query_gives_a_camera_or_a_sentence(query: str) -> None:
    directory = CameraDirectory(FLEET, aliases={"front desk": "Lobby"})
    try:
        assert directory.resolve(query) in FLEET
    except CameraLookupError as error:
        sentence = str(error)
        assert sentence and "\n" not in sentence


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("clip lobby 14:30", LOBBY),
        ("clip Lobby now", LOBBY),
        ("clip lobby cam 10m ago 2m", LOBBY),
        ("clip garage entrance yesterday 9am", GARAGE_IN),
        ('clip "Garage Entrance" 14:30-14:45', GARAGE_IN),
        ("clip q2xx-aaaa-0003 now", GARAGE_OUT),
    ],
)
def test_the_issues_camera_forms_through_the_clip_grammar(
    directory: CameraDirectory, command: str, expected: CameraRecord
) -> None:
    _name, tokens = split_command(command)
    assert directory.resolve(parse_clip(tokens).camera) == expected
