"""Active hours: how schedules read, what they cover (overnight, days, DST) and how they print."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.grammar import ParseError, Token
from bot.grammar.hours import ALL_DAYS, DAY, Hours, parse_hours, split_hours

NEW_YORK = ZoneInfo("America/New_York")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("21:00-06:00", Hours(21 * 60, 6 * 60)),
        ("9pm-6am", Hours(21 * 60, 6 * 60)),
        ("9:30pm to 6am", Hours(21 * 60 + 30, 6 * 60)),
        ("22:00 - 06:00 weekdays", Hours(22 * 60, 6 * 60, frozenset(range(5)))),
        ("08:00-17:00 mon-fri", Hours(8 * 60, 17 * 60, frozenset(range(5)))),
        ("weekends", Hours(0, DAY, frozenset({5, 6}))),
        ("fri-mon 20:00-23:00", Hours(20 * 60, 23 * 60, frozenset({4, 5, 6, 0}))),
        ("sat sun noon-midnight", Hours(12 * 60, 0, frozenset({5, 6}))),
        ("22:00-24:00", Hours(22 * 60, 0)),
    ],
)
def test_schedules_read_as_people_write_them(text: str, expected: Hours) -> None:
    assert parse_hours(text) == expected


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("25:00-06:00", "not a time"),
        ("13pm-6am", "not a time"),
        ("21:00-21:00", "no time at all"),
        ("9pm-6am 1am-2am", "one range"),
        ("9pm-6am blue", "'blue' is not part"),
    ],
)
def test_bad_schedules_say_what_is_wrong(text: str, says: str) -> None:
    with pytest.raises(ParseError, match=says):
        parse_hours(text)


def test_quoted_words_and_other_words_are_left_over() -> None:
    words = [Token("night delivery", quoted=True), "9pm-6am", "blue", Token("mon", quoted=True)]
    hours, rest = split_hours(words)
    assert hours == Hours(21 * 60, 6 * 60)
    assert rest == ["night delivery", "blue", "mon"]
    assert split_hours(["garage", "entrance"]) == (None, ["garage", "entrance"])


def test_an_overnight_range_belongs_to_the_day_it_starts() -> None:
    weekday_nights = parse_hours("22:00-06:00 weekdays")
    friday_night = datetime(2026, 3, 6, 23, 0)  # a Friday
    assert weekday_nights.contains(friday_night)
    assert weekday_nights.contains(friday_night + timedelta(hours=6, minutes=59))  # Sat 05:59
    assert not weekday_nights.contains(friday_night + timedelta(hours=7))  # Sat 06:00
    assert not weekday_nights.contains(friday_night + timedelta(days=1))  # Sat 23:00
    assert not weekday_nights.contains(datetime(2026, 3, 9, 2, 0))  # Mon 02:00: Sunday night


def test_hours_follow_the_wall_clock_across_daylight_saving() -> None:
    nights = parse_hours("21:00-06:00")
    # New York springs forward on 8 Mar 2026 and falls back on 1 Nov 2026: 21:00 local is
    # 02:00 UTC before and 01:00 UTC after the spring change.
    before = datetime(2026, 3, 7, 1, 59, tzinfo=UTC).astimezone(NEW_YORK)  # Fri 20:59 EST
    after = datetime(2026, 3, 9, 1, 0, tzinfo=UTC).astimezone(NEW_YORK)  # Sun 21:00 EDT
    assert not nights.contains(before)
    assert nights.contains(after)
    fall_back = datetime(2026, 11, 1, 5, 30, tzinfo=UTC).astimezone(NEW_YORK)  # 01:30 EDT
    again = datetime(2026, 11, 1, 6, 30, tzinfo=UTC).astimezone(NEW_YORK)  # 01:30 EST
    assert nights.contains(fall_back) and nights.contains(again)


clocks = st.integers(min_value=0, max_value=DAY - 1)
day_sets = st.frozensets(st.integers(min_value=0, max_value=6), min_size=1)
schedules = st.builds(Hours, clocks, clocks, day_sets).filter(lambda h: h.start != h.end)


@given(schedules)
def test_the_shown_form_reads_back_to_the_same_schedule(hours: Hours) -> None:
    assert parse_hours(hours.text) == hours


@given(schedules)
def test_a_week_holds_the_range_once_per_day_it_starts(hours: Hours) -> None:
    monday = datetime(2026, 3, 2)
    inside = sum(
        hours.contains(monday + timedelta(minutes=m)) for m in range(0, 7 * DAY, 15)
    )  # every quarter hour of a week
    length = (hours.end - hours.start) % DAY
    expected = sum(
        1
        for day in hours.days
        for m in range(0, length, 1)
        if (hours.start + m) % 15 == 0
        # the minutes of this day's range that land on a quarter hour
    )
    assert inside == expected
    assert hours.days <= ALL_DAYS


words = st.sampled_from(
    (
        "9pm",
        "6am",
        "-",
        "to",
        "21:00-06:00",
        "mon-fri",
        "weekdays",
        "sat",
        "blue",
        "25:00",
        "13pm-1am",
        "noon",
        "9",
        "12-12",
        "x-y",
        "mon-",
        "–",
        "24:00",
        "0:00-24:00",
    )
)


@given(st.lists(words, max_size=8))
def test_any_words_give_a_schedule_or_a_one_line_reason(tokens: list[str]) -> None:
    try:
        hours, rest = split_hours(tokens)
    except ParseError as error:
        assert error.message and "\n" not in error.message
        return
    assert all(word in tokens for word in rest)
    if hours is not None:
        assert parse_hours(hours.text) == hours
