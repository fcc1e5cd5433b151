"""Times people type, read in a camera's zone at a pinned moment."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.grammar.tokens import ParseError, Token, Unrecognised
from bot.grammar.when import Absolute, Ago, At, Now, Range, parse_when, resolve

NEW_YORK = ZoneInfo("America/New_York")
AMSTERDAM = ZoneInfo("Europe/Amsterdam")
KOLKATA = ZoneInfo("Asia/Kolkata")
# Wednesday 25 March 2026, noon in New York.
NOON_NY = datetime(2026, 3, 25, 12, 0, tzinfo=NEW_YORK)


def local(
    tz: ZoneInfo, year: int, month: int, day: int, hour: int, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=tz).astimezone(UTC)


def start_of(text: str, tz: ZoneInfo = NEW_YORK, now: datetime = NOON_NY) -> datetime:
    start, end = resolve(parse_when(text), tz, now)
    assert end is None
    assert start.tzinfo is UTC
    return start


def span_of(
    text: str, tz: ZoneInfo = NEW_YORK, now: datetime = NOON_NY
) -> tuple[datetime, datetime | None]:
    return resolve(parse_when(text), tz, now)


# --- syntax -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "spec"),
    [
        ("14:30", At(time(14, 30))),
        ("2:30pm", At(time(14, 30))),
        ("2:30 PM", At(time(14, 30))),
        ("14:30:15", At(time(14, 30, 15))),
        ("9am", At(time(9))),
        ("12am", At(time(0))),
        ("12pm", At(time(12))),
        ("noon", At(time(12))),
        ("at 9 a.m.", At(time(9))),
        ("yesterday 9am", At(time(9), days_ago=1)),
        ("9am yesterday", At(time(9), days_ago=1)),
        ("yesterday at 9am", At(time(9), days_ago=1)),
        ("today 9am", At(time(9), days_ago=0)),
        ("mon 17:00", At(time(17), weekday=0)),
        ("on Sunday 8:15", At(time(8, 15), weekday=6)),
        ("2026-03-23 14:30", At(time(14, 30), date=datetime(2026, 3, 23).date())),
        ("2026-03-23T14:30", At(time(14, 30), date=datetime(2026, 3, 23).date())),
        ("2026-03-23T14:30:00Z", Absolute(datetime(2026, 3, 23, 14, 30, tzinfo=UTC))),
        ("2026-03-23 14:30Z", Absolute(datetime(2026, 3, 23, 14, 30, tzinfo=UTC))),
        ("10m ago", Ago(timedelta(minutes=10))),
        ("2h ago", Ago(timedelta(hours=2))),
        ("90s ago", Ago(timedelta(seconds=90))),
        ("1h30m ago", Ago(timedelta(minutes=90))),
        ("10 min ago", Ago(timedelta(minutes=10))),
        ("an hour ago", Ago(timedelta(hours=1))),
        ("now", Now()),
        ("NOW", Now()),
        ("14:30-14:45", Range(At(time(14, 30)), At(time(14, 45)))),
        ("14:30 - 14:45", Range(At(time(14, 30)), At(time(14, 45)))),
        ("14:30– 14:45", Range(At(time(14, 30)), At(time(14, 45)))),
        ("9am-10am", Range(At(time(9)), At(time(10)))),
        ("from 9am to 10am", Range(At(time(9)), At(time(10)))),
        ("between 9am and 10am", Range(At(time(9)), At(time(10)))),
        ("yesterday 23:50-00:10", Range(At(time(23, 50), days_ago=1), At(time(0, 10)))),
        ("10m ago - now", Range(Ago(timedelta(minutes=10)), Now())),
    ],
)
def test_parse_when_reads_what_people_type(text: str, spec: object) -> None:
    assert parse_when(text) == spec


def test_iso_with_an_offset_keeps_the_offset() -> None:
    spec = parse_when("2026-03-23T14:30:00+01:00")
    assert isinstance(spec, Absolute)
    assert spec.instant == datetime(2026, 3, 23, 13, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    "text", ["teatime", "", "9", "lobby", "14:30 2m", "- 14:30", "a to b to c"]
)
def test_words_that_are_not_times_are_unrecognised(text: str) -> None:
    with pytest.raises(Unrecognised):
        parse_when(text)


def test_quoted_words_are_never_a_time() -> None:
    with pytest.raises(Unrecognised):
        parse_when([Token("now", quoted=True)])


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("25:00", "not a time of day"),
        ("14:75", "not a time of day"),
        ("13pm", "not a time of day"),
        ("0am", "not a time of day"),
        ("yesterday", "needs a time of day"),
        ("mon", "`mon 9am`"),
        ("2026-02-30 10:00", "not a date"),
        ("1969-12-31 10:00", "years"),
        ("2026-03-23T99:00", "couldn't read"),
        ("14:30-14:30", "empty"),
        ("0s ago", "more than zero"),
    ],
)
def test_bad_values_get_their_own_explanation(text: str, says: str) -> None:
    with pytest.raises(ParseError) as caught:
        parse_when(text)
    assert not isinstance(caught.value, Unrecognised)
    assert says in caught.value.message


# --- resolution -------------------------------------------------------------------------


def test_a_bare_time_already_past_today_is_today() -> None:
    assert start_of("11:00") == local(NEW_YORK, 2026, 3, 25, 11, 0)
    assert start_of("12:00") == local(NEW_YORK, 2026, 3, 25, 12, 0)


def test_a_bare_time_not_yet_reached_is_yesterday() -> None:
    assert start_of("14:30") == local(NEW_YORK, 2026, 3, 24, 14, 30)
    assert start_of("2:30pm") == local(NEW_YORK, 2026, 3, 24, 14, 30)
    assert start_of("14:30:15") == local(NEW_YORK, 2026, 3, 24, 14, 30, 15)


def test_named_days() -> None:
    assert start_of("yesterday 9am") == local(NEW_YORK, 2026, 3, 24, 9)
    assert start_of("today 9am") == local(NEW_YORK, 2026, 3, 25, 9)


def test_a_future_time_today_is_returned_for_the_caller_to_refuse() -> None:
    assert start_of("today 13:00") == local(NEW_YORK, 2026, 3, 25, 13)
    assert start_of("tomorrow 9am") == local(NEW_YORK, 2026, 3, 26, 9)


def test_weekdays_mean_the_most_recent_one_not_in_the_future() -> None:
    assert start_of("mon 17:00") == local(NEW_YORK, 2026, 3, 23, 17)
    assert start_of("wed 11:00") == local(NEW_YORK, 2026, 3, 25, 11)
    assert start_of("wednesday 13:00") == local(NEW_YORK, 2026, 3, 18, 13)
    assert start_of("thu 9am") == local(NEW_YORK, 2026, 3, 19, 9)


def test_dates_and_iso() -> None:
    assert start_of("2026-03-23 14:30") == local(NEW_YORK, 2026, 3, 23, 14, 30)
    assert start_of("2026-03-23T14:30:00Z") == datetime(2026, 3, 23, 14, 30, tzinfo=UTC)
    assert start_of("2026-03-23T14:30:00+01:00") == datetime(2026, 3, 23, 13, 30, tzinfo=UTC)


def test_relative_times() -> None:
    assert start_of("now") == NOON_NY.astimezone(UTC)
    assert start_of("10m ago") == (NOON_NY - timedelta(minutes=10)).astimezone(UTC)
    assert start_of("1h30m ago") == (NOON_NY - timedelta(minutes=90)).astimezone(UTC)


def test_ranges() -> None:
    assert span_of("14:30-14:45") == (
        local(NEW_YORK, 2026, 3, 24, 14, 30),
        local(NEW_YORK, 2026, 3, 24, 14, 45),
    )
    assert span_of("11:00 - 11:30") == (
        local(NEW_YORK, 2026, 3, 25, 11),
        local(NEW_YORK, 2026, 3, 25, 11, 30),
    )


def test_a_range_whose_end_is_earlier_crosses_midnight() -> None:
    expected = (local(NEW_YORK, 2026, 3, 24, 23, 50), local(NEW_YORK, 2026, 3, 25, 0, 10))
    assert span_of("yesterday 23:50-00:10") == expected
    assert span_of("23:50-00:10") == expected


def test_a_range_ending_before_it_starts_is_explained() -> None:
    with pytest.raises(ParseError, match="ends before it starts"):
        span_of("today 10:00 - yesterday 9:00")


def test_resolve_needs_an_aware_now() -> None:
    with pytest.raises(ValueError, match="aware"):
        resolve(Now(), NEW_YORK, datetime(2026, 3, 25, 12))


# --- time zones and DST -----------------------------------------------------------------


def test_spring_forward_gap_takes_the_first_reading() -> None:
    # 02:30 on 8 March 2026 does not exist in New York; fold=0 reads it with EST (-5).
    assert start_of("2026-03-08 02:30") == datetime(2026, 3, 8, 7, 30, tzinfo=UTC)
    after = datetime(2026, 3, 8, 12, 0, tzinfo=NEW_YORK)
    assert start_of("02:30", now=after) == datetime(2026, 3, 8, 7, 30, tzinfo=UTC)
    assert start_of("yesterday 9am", now=after) == datetime(2026, 3, 7, 14, 0, tzinfo=UTC)


def test_fall_back_overlap_takes_the_first_occurrence() -> None:
    # 01:30 on 1 November 2026 happens twice in New York; the first is EDT (-4).
    assert start_of("2026-11-01 01:30") == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)
    start, end = span_of("2026-11-01 00:30-02:30")
    assert end is not None and end - start == timedelta(hours=3)


def test_amsterdam_across_its_dst_change() -> None:
    now = datetime(2026, 3, 29, 12, 0, tzinfo=AMSTERDAM)  # CEST, the day clocks went forward
    assert start_of("yesterday 12:00", AMSTERDAM, now) == datetime(2026, 3, 28, 11, tzinfo=UTC)
    assert start_of("02:30", AMSTERDAM, now) == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    assert start_of("11:00", AMSTERDAM, now) == datetime(2026, 3, 29, 9, tzinfo=UTC)


def test_kolkata_half_hour_offset() -> None:
    now = datetime(2026, 3, 25, 0, 10, tzinfo=KOLKATA)  # 24 March 18:40 UTC
    assert start_of("14:30", KOLKATA, now) == datetime(2026, 3, 24, 9, 0, tzinfo=UTC)
    assert start_of("00:05", KOLKATA, now) == datetime(2026, 3, 24, 18, 35, tzinfo=UTC)
    assert span_of("23:50-00:10", KOLKATA, now) == (
        datetime(2026, 3, 24, 18, 20, tzinfo=UTC),
        datetime(2026, 3, 24, 18, 40, tzinfo=UTC),
    )


def test_the_same_words_mean_different_instants_in_different_zones() -> None:
    now = datetime(2026, 3, 25, 20, 0, tzinfo=UTC)
    instants = {start_of("mon 17:00", tz, now) for tz in (NEW_YORK, AMSTERDAM, KOLKATA)}
    assert instants == {
        datetime(2026, 3, 23, 21, 0, tzinfo=UTC),
        datetime(2026, 3, 23, 16, 0, tzinfo=UTC),
        datetime(2026, 3, 23, 11, 30, tzinfo=UTC),
    }


def test_absolute_and_relative_times_ignore_the_zone() -> None:
    for tz in (NEW_YORK, AMSTERDAM, KOLKATA):
        assert start_of("2026-03-23T14:30:00Z", tz) == datetime(2026, 3, 23, 14, 30, tzinfo=UTC)
        assert start_of("10m ago", tz) == (NOON_NY - timedelta(minutes=10)).astimezone(UTC)
