"""The camera-health debounce in virtual time: a change is told once it has held, a flap
shorter than the debounce tells nothing, and a camera seen first is not news."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.health.debounce import (
    UNKNOWN_SINCE,
    CameraHealth,
    Change,
    first_seen,
    health_of,
    observe,
)

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
DEBOUNCE = timedelta(minutes=2)
SERIAL = "Q2FV-LBBY-0001"


def run(state: CameraHealth, seen: list[tuple[int, str]]) -> list[Change]:
    """Feed (seconds after T0, status) observations, one poll each; the changes told."""
    told = []
    for seconds, status in seen:
        at = T0 + timedelta(seconds=seconds)
        state, change = observe(state, status, at, at, DEBOUNCE)
        if change is not None:
            told.append(change)
    return told


def test_an_outage_is_told_once_it_has_held_and_again_when_it_ends() -> None:
    state = first_seen(SERIAL, "online", T0)
    polls = [(s, "offline") for s in range(60, 300, 60)]
    polls += [(s, "online") for s in (300, 360, 420, 480)]
    told = run(state, polls)
    offline_at, online_at = T0 + timedelta(seconds=60), T0 + timedelta(seconds=300)
    assert told == [Change(SERIAL, "offline", offline_at), Change(SERIAL, "online", online_at)]


def test_a_flap_shorter_than_the_debounce_tells_nobody() -> None:
    state = first_seen(SERIAL, "online", T0)
    polls = [(60, "offline"), (120, "offline"), (170, "online"), (240, "offline"), (300, "online")]
    assert run(state, polls + [(s, "online") for s in range(360, 900, 60)]) == []


def test_a_camera_seen_for_the_first_time_offline_is_not_news() -> None:
    state = first_seen(SERIAL, "offline", T0)
    assert run(state, [(s, "offline") for s in range(0, 600, 60)]) == []
    # When it went down is unknown: `cameras` says "offline", not "offline since" mvbot began.
    assert state.status == "offline" and state.since == UNKNOWN_SINCE


def test_dormant_counts_as_offline_and_alerting_as_online() -> None:
    assert [health_of(s) for s in ("dormant", "offline", "alerting", "online")] == [
        "offline",
        "offline",
        "online",
        "online",
    ]
