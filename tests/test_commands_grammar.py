"""The grammar of help, cameras, clip and snapshot, as a person types them."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.commands.cameras_list import CAMERAS_HELP, CamerasArgs, parse_cameras
from bot.commands.clip import CLIP_HELP, DEFAULT_CLIP_LENGTH, ClipArgs, clip_span, parse_clip
from bot.commands.help import HELP_HELP, HelpArgs, parse_help
from bot.commands.snapshot import SNAPSHOT_HELP, SnapshotArgs, parse_snapshot
from bot.grammar import Ago, At, Now, ParseError, Range, render_help, split_command, unknown_command

ALL_HELP = (HELP_HELP, CAMERAS_HELP, CLIP_HELP, SNAPSHOT_HELP)


def clip(text: str) -> ClipArgs:
    name, tokens = split_command(text)
    assert name == "clip"
    return parse_clip(tokens)


def snapshot(text: str) -> SnapshotArgs:
    name, tokens = split_command(text)
    assert name == "snapshot"
    return parse_snapshot(tokens)


def error_of(text: str) -> str:
    name, tokens = split_command(text)
    parse = {"clip": parse_clip, "snapshot": parse_snapshot}[name]
    with pytest.raises(ParseError) as caught:
        parse(tokens)
    message = caught.value.message
    assert message and "\n" not in message
    return message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "clip garage entrance 14:30",
            ClipArgs("garage entrance", At(time(14, 30)), DEFAULT_CLIP_LENGTH),
        ),
        ("clip lobby cam now", ClipArgs("lobby cam", Now(), DEFAULT_CLIP_LENGTH)),
        (
            'clip "Garage Entrance" yesterday 9am 2m',
            ClipArgs("Garage Entrance", At(time(9), days_ago=1), timedelta(minutes=2)),
        ),
        (
            "clip lobby 14:30-14:45",
            ClipArgs("lobby", Range(At(time(14, 30)), At(time(14, 45))), None),
        ),
        (
            "clip lobby 14:30 - 14:45",
            ClipArgs("lobby", Range(At(time(14, 30)), At(time(14, 45))), None),
        ),
        ("clip lobby now 30s", ClipArgs("lobby", Now(), timedelta(seconds=30))),
        (
            "clip lobby 10m ago 2m",
            ClipArgs("lobby", Ago(timedelta(minutes=10)), timedelta(minutes=2)),
        ),
        (
            "clip garage entrance 10m ago 2m",
            ClipArgs("garage entrance", Ago(timedelta(minutes=10)), timedelta(minutes=2)),
        ),
        ("clip lobby 14:30 2m ts", ClipArgs("lobby", At(time(14, 30)), timedelta(minutes=2), True)),
        ("clip lobby 14:30 TS", ClipArgs("lobby", At(time(14, 30)), DEFAULT_CLIP_LENGTH, True)),
        ("clip lobby 14:30 for 1m30s", ClipArgs("lobby", At(time(14, 30)), timedelta(seconds=90))),
        ("clip lobby, 2:30 pm, 2 min", ClipArgs("lobby", At(time(14, 30)), timedelta(minutes=2))),
        (
            "/mv CLIP Lobby mon 17:00 1h",
            ClipArgs("Lobby", At(time(17), weekday=0), timedelta(hours=1)),
        ),
        ("clip gate 2 now", ClipArgs("gate 2", Now(), DEFAULT_CLIP_LENGTH)),
        ("clip monday market 9am", ClipArgs("monday market", At(time(9)), DEFAULT_CLIP_LENGTH)),
        ('clip "now" now', ClipArgs("now", Now(), DEFAULT_CLIP_LENGTH)),
        ("clip “Dock 9am” 9am", ClipArgs("Dock 9am", At(time(9)), DEFAULT_CLIP_LENGTH)),
        (
            "clip lobby yesterday 23:50-00:10 ts",
            ClipArgs("lobby", Range(At(time(23, 50), days_ago=1), At(time(0, 10))), None, True),
        ),
    ],
)
def test_clip_splits_camera_time_and_length(text: str, expected: ClipArgs) -> None:
    assert clip(text) == expected


def test_the_camera_is_the_shortest_prefix_so_day_words_stay_with_the_time() -> None:
    assert clip("clip lobby yesterday 9am").when == At(time(9), days_ago=1)
    assert clip("clip lobby yesterday 9am").camera == "lobby"


@pytest.mark.parametrize(
    ("text", "says"),
    [
        (
            "clip lobby at teatime",
            "I couldn't read a time in 'clip lobby at teatime' — try `clip lobby 14:30 2m`",
        ),
        ("clip garage entrance at teatime", "try `clip garage entrance 14:30 2m`"),
        ("clip lobby", "When? Try `clip lobby 14:30 2m`"),
        ("clip", "Which camera, and when?"),
        ("clip lobby 2m", "I couldn't read a time"),
        ("clip lobby 25:00", "'25:00' is not a time of day"),
        ("clip lobby yesterday", "'yesterday' needs a time of day"),
        ("clip lobby 14:30 0s", "more than zero"),
        ("clip lobby 14:30-14:45 2m", "A range already says how long"),
        ('clip "" 14:30', "Which camera?"),
    ],
)
def test_clip_errors_explain_with_an_example(text: str, says: str) -> None:
    assert says in error_of(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("snapshot lobby", SnapshotArgs("lobby", Now())),
        ("snapshot garage entrance", SnapshotArgs("garage entrance", Now())),
        ("snapshot garage entrance 2:30pm", SnapshotArgs("garage entrance", At(time(14, 30)))),
        ("snapshot lobby yesterday 9am", SnapshotArgs("lobby", At(time(9), days_ago=1))),
        ("snapshot lobby 10m ago", SnapshotArgs("lobby", Ago(timedelta(minutes=10)))),
        ('snapshot "Garage Entrance" now', SnapshotArgs("Garage Entrance", Now())),
        ("snapshot gate 2", SnapshotArgs("gate 2", Now())),
    ],
)
def test_snapshot_time_is_optional(text: str, expected: SnapshotArgs) -> None:
    assert snapshot(text) == expected


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("snapshot", "Which camera?"),
        ("snapshot lobby at teatime", "try `snapshot lobby 14:30`"),
        ('snapshot "lobby" teatime', "I couldn't read a time"),
        ("snapshot lobby 25:00", "not a time of day"),
        ("snapshot lobby 14:30-14:45", "one moment"),
    ],
)
def test_snapshot_errors_explain(text: str, says: str) -> None:
    assert says in error_of(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("cameras", CamerasArgs(None)),
        ("cameras all", CamerasArgs(None)),
        ("cameras offline", CamerasArgs("offline")),
        ('cameras "loading dock"', CamerasArgs("loading dock")),
        ("cameras garage, mv63", CamerasArgs("garage mv63")),
    ],
)
def test_cameras_filter(text: str, expected: CamerasArgs) -> None:
    _name, tokens = split_command(text)
    assert parse_cameras(tokens) == expected


@pytest.mark.parametrize(
    ("text", "topic"),
    [("help", None), ("help clip", "clip"), ("help /CLIP", "clip"), ("help clip?", "clip")],
)
def test_help_topic(text: str, topic: str | None) -> None:
    assert parse_help(split_command(text)[1]) == HelpArgs(topic)


def test_help_lists_every_command_with_its_usage() -> None:
    text = render_help(None, ALL_HELP)
    for command in ALL_HELP:
        assert f"`{command.usage}`" in text
    assert "help <command>" in text


def test_help_clip_gives_time_forms_lengths_and_the_bare_time_rule() -> None:
    text = render_help("clip", ALL_HELP)
    for form in (
        "`14:30`",
        "`yesterday 9am`",
        "`mon 17:00`",
        "`10m ago`",
        "`14:30-14:45`",
        "`1m30s`",
    ):
        assert form in text
    assert "today if it has passed, otherwise yesterday" in text
    assert "30s" in text and "`ts`" in text
    assert "• `clip lobby 14:30 2m`" in text


def test_every_help_example_parses() -> None:
    parsers = {
        "clip": parse_clip,
        "snapshot": parse_snapshot,
        "cameras": parse_cameras,
        "help": parse_help,
    }
    for command in ALL_HELP:
        for example in command.examples:
            name, tokens = split_command(example)
            assert name == command.name
            parsers[name](tokens)


def test_help_for_an_unknown_topic_suggests_the_nearest() -> None:
    with pytest.raises(ParseError, match="did you mean `clip`"):
        render_help("clpi", ALL_HELP)


def test_unknown_command_message() -> None:
    assert unknown_command("snapshto", ["clip", "snapshot"]).message == (
        "I don't know 'snapshto' — did you mean `snapshot`? Say `help` for the commands."
    )
    assert "did you mean" not in unknown_command("zzz", ["clip"]).message


def test_clip_span_adds_the_length_or_uses_the_range() -> None:
    tz = ZoneInfo("Europe/Amsterdam")
    now = datetime(2026, 3, 25, 16, 0, tzinfo=tz)
    assert clip_span(clip("clip lobby 14:30 2m"), tz, now) == (
        datetime(2026, 3, 25, 13, 30, tzinfo=UTC),
        datetime(2026, 3, 25, 13, 32, tzinfo=UTC),
    )
    assert clip_span(clip("clip lobby 10m ago"), tz, now) == (
        datetime(2026, 3, 25, 14, 50, tzinfo=UTC),
        datetime(2026, 3, 25, 14, 50, 30, tzinfo=UTC),
    )
    assert clip_span(clip("clip lobby 14:30-14:45"), tz, now) == (
        datetime(2026, 3, 25, 13, 30, tzinfo=UTC),
        datetime(2026, 3, 25, 13, 45, tzinfo=UTC),
    )
