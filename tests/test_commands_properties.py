"""Whatever is typed, the parsers answer with a value or a one-line ParseError, nothing else."""

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.commands.cameras_list import CamerasArgs, parse_cameras
from bot.commands.clip import ClipArgs, parse_clip
from bot.commands.help import HelpArgs, parse_help
from bot.commands.snapshot import SnapshotArgs, parse_snapshot
from bot.grammar import ParseError, Range, Token, parse_length, parse_when, resolve, split_command

COMMAND_WORDS = ("clip", "snapshot", "cameras", "help", "/mv", "mv", "ts", "TS", "mpegts", "for")
CAMERA_WORDS = ("lobby", "Lobby", "cam", "garage", "entrance", "Garage-Entrance", "the", "🙂")
CLOCKS = ("14:30", "2:30pm", "2:30", "pm", "PM", "am", "a.m.", "14:30:15", "9am", "noon", "00:10")
BAD_CLOCKS = ("25:00", "13pm", "9", "12", "0", "teatime", "midnight", "23:50", "14:30Z")
DAYS = ("yesterday", "today", "tomorrow", "mon", "monday", "sun", "at", "on", "from", "between")
DATES = ("2026-03-23", "2026-02-30", "0001-01-01", "9999-12-31", "2026-03-23T14:30")
ISO = ("2026-03-23T14:30:00Z", "2026-03-23T14:30:00+01:00", "2026-03-23T14:30:00-05:00")
RANGES = ("14:30-14:45", "23:50-00:10", "-14:45", "14:30-", "-", "–", "to", "until", "and", ",")
LENGTHS = ("now", "NOW", "ago", "10m", "2m", "90s", "1m30s", "1h", "1.5m", "2", "min", "mins")
ODD_LENGTHS = ("30", "sec", "s", "h", "m", "0s", "an", "a", "hour", "1e9h", "99999999999h", ".5m")
QUOTES = ("1..5m", "'", '"', "“", "”")
VOCABULARY = sum(
    (COMMAND_WORDS, CAMERA_WORDS, CLOCKS, BAD_CLOCKS, DAYS, DATES, ISO, RANGES, LENGTHS),
    ODD_LENGTHS + QUOTES,
)

PARSERS: tuple[tuple[Callable[[Sequence[str]], object], type], ...] = (
    (parse_clip, ClipArgs),
    (parse_snapshot, SnapshotArgs),
    (parse_cameras, CamerasArgs),
    (parse_help, HelpArgs),
)
ZONES = [ZoneInfo(z) for z in ("America/New_York", "Europe/Amsterdam", "Asia/Kolkata", "UTC")]

tokens_from_vocabulary = st.lists(
    st.builds(Token, st.sampled_from(VOCABULARY), st.booleans()) | st.sampled_from(VOCABULARY),
    max_size=14,
)
moments = st.datetimes(
    min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)


def assert_friendly(error: ParseError) -> None:
    assert type(error.message) is str
    assert error.message.strip()
    assert "\n" not in error.message


def assert_parses_or_explains(tokens: Sequence[str]) -> None:
    for parse, result_type in PARSERS:
        try:
            result = parse(tokens)
        except ParseError as error:
            assert_friendly(error)
        else:
            assert isinstance(result, result_type)
            if isinstance(result, ClipArgs):
                assert result.camera.strip()
                assert (result.length is None) == isinstance(result.when, Range)
                assert result.length is None or result.length > timedelta(0)


@settings(max_examples=400, deadline=None, database=None)
@given(st.text(max_size=120))
def test_arbitrary_text(text: str) -> None:
    try:
        name, tokens = split_command(text)
    except ParseError as error:
        assert_friendly(error)
        return
    assert name
    assert_parses_or_explains(tokens)


@settings(max_examples=600, deadline=None, database=None)
@given(tokens_from_vocabulary)
def test_token_lists_from_the_vocabulary(tokens: list[str]) -> None:
    assert_parses_or_explains(tokens)
    try:
        _name, rest = split_command(" ".join(tokens))
    except ParseError as error:
        assert_friendly(error)
    else:
        assert_parses_or_explains(rest)


@settings(max_examples=600, deadline=None, database=None)
@given(tokens_from_vocabulary, st.sampled_from(ZONES), moments)
def test_times_parse_and_resolve_or_explain(tokens: list[str], tz: ZoneInfo, now: datetime) -> None:
    try:
        spec = parse_when(tokens)
    except ParseError as error:
        assert_friendly(error)
        return
    try:
        start, end = resolve(spec, tz, now)
    except ParseError as error:
        assert_friendly(error)
        assert isinstance(spec, Range)
        return
    assert start.tzinfo is UTC
    assert (end is None) != isinstance(spec, Range)
    assert end is None or end > start


@settings(max_examples=300, deadline=None, database=None)
@given(tokens_from_vocabulary)
def test_lengths_are_positive_or_explained(tokens: list[str]) -> None:
    try:
        length = parse_length(tokens)
    except ParseError as error:
        assert_friendly(error)
    else:
        assert length > timedelta(0)
