from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.grammar.formatting import duration, iso_utc, local_span, local_time, size, utc_span

NY = ZoneInfo("America/New_York")
START = datetime(2026, 3, 23, 18, 30, tzinfo=UTC)


def test_local_time_names_the_zone() -> None:
    assert local_time(START, NY) == "Mon 23 Mar 14:30:00 EDT"
    assert local_time(START, NY, date=False) == "14:30:00 EDT"


def test_spans_show_the_end_date_only_when_it_differs() -> None:
    assert local_span(START, START + timedelta(minutes=2), NY) == "Mon 23 Mar 14:30:00–14:32:00 EDT"
    late = datetime(2026, 3, 24, 3, 50, tzinfo=UTC)  # 23:50 EDT
    assert local_span(late, late + timedelta(minutes=20), NY) == (
        "Mon 23 Mar 23:50:00–Tue 24 Mar 00:10:00 EDT"
    )
    assert utc_span(START, START + timedelta(minutes=2)) == "2026-03-23 18:30:00–18:32:00 UTC"


def test_durations_and_sizes_read_naturally() -> None:
    assert duration(timedelta(seconds=90)) == "1 min 30 s"
    assert duration(timedelta(minutes=2)) == "2 min"
    assert duration(timedelta(seconds=45)) == "45 s"
    assert duration(timedelta(hours=1, minutes=5)) == "1 h 5 min"
    assert duration(timedelta(0)) == "0 s"
    assert size(999) == "999 B"
    assert size(2_500_000) == "2.5 MB"


def test_iso_utc_round_trips_through_the_command_language() -> None:
    assert iso_utc(START.astimezone(NY)) == "2026-03-23T18:30:00Z"
    assert iso_utc(START + timedelta(milliseconds=250)) == "2026-03-23T18:30:00Z"
    assert iso_utc(START + timedelta(milliseconds=250), precise=True) == "2026-03-23T18:30:00.250Z"


def test_a_time_in_another_year_names_the_year() -> None:
    assert local_time(datetime(2031, 1, 7, 15, 0, tzinfo=UTC), NY) == "Tue 7 Jan 2031 10:00:00 EST"
