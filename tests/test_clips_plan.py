import itertools
from datetime import UTC, datetime, timedelta

import pytest

from bot.clips.parts import MAX_PART, ClipSpec, clip_filename, plan_parts

T0 = datetime(2026, 3, 23, 14, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("length", "count"),
    [
        (timedelta(seconds=1), 1),
        (timedelta(minutes=5), 1),
        (timedelta(minutes=5, milliseconds=500), 2),
        (timedelta(minutes=15), 3),
        (timedelta(minutes=30), 6),
        (timedelta(minutes=29, seconds=59), 6),
    ],
)
def test_parts_are_back_to_back_and_within_api_limits(length: timedelta, count: int) -> None:
    parts = plan_parts(T0, T0 + length)
    assert len(parts) == count
    assert parts[0][0] == T0 and parts[-1][1] == T0 + length
    for (_, end), (start, _) in itertools.pairwise(parts):
        assert end == start
    for start, end in parts:
        assert timedelta(seconds=1) <= end - start <= MAX_PART


def test_a_span_under_one_second_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one second"):
        plan_parts(T0, T0 + timedelta(milliseconds=999))


def test_spec_survives_the_job_store_and_names_its_file() -> None:
    spec = ClipSpec("Q2XX-1", "Garage Entrance", T0, T0 + timedelta(minutes=2), container="ts")
    assert ClipSpec.from_json(spec.to_json()) == spec
    assert clip_filename(spec) == "garage-entrance_2026-03-23T143000Z_120s.ts"
