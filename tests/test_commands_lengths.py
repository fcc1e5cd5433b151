"""Lengths of footage: what people type, what it means, and what is refused."""

from datetime import timedelta

import pytest

from bot.grammar.lengths import format_length, parse_length
from bot.grammar.tokens import ParseError, Token, Unrecognised


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("90s", 90),
        ("2m", 120),
        ("1m30s", 90),
        ("1h", 3600),
        ("1.5m", 90),
        ("2 min", 120),
        ("30 sec", 30),
        ("1h30m", 5400),
        ("1h 30m", 5400),
        ("1 hour and 30 minutes", 5400),
        ("an hour", 3600),
        ("a minute", 60),
        ("2 Minutes", 120),
        ("45SECONDS", 45),
        (".5m", 30),
        ("1d", 86400),
    ],
)
def test_lengths_people_type(text: str, seconds: float) -> None:
    assert parse_length(text) == timedelta(seconds=seconds)


def test_tokens_work_as_well_as_text() -> None:
    assert parse_length(["1m", "30s"]) == timedelta(seconds=90)


@pytest.mark.parametrize(
    "text", ["", "90", "2x", "1m 1m", "m", "1.5.5m", "ten minutes", "1m30", "1:30", "-2m", "2ms"]
)
def test_junk_is_not_a_length(text: str) -> None:
    with pytest.raises(Unrecognised):
        parse_length(text)


def test_quoted_words_are_never_a_length() -> None:
    with pytest.raises(Unrecognised):
        parse_length([Token("2m", quoted=True)])


@pytest.mark.parametrize("text", ["0s", "0m", "0.0h"])
def test_zero_is_refused_with_a_reason(text: str) -> None:
    with pytest.raises(ParseError, match="more than zero") as caught:
        parse_length(text)
    assert not isinstance(caught.value, Unrecognised)


def test_absurd_lengths_are_refused_rather_than_overflowing() -> None:
    with pytest.raises(ParseError, match="too long"):
        parse_length("9" * 400 + "h")


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (30, "30s"),
        (120, "2m"),
        (90, "1m30s"),
        (3600, "1h"),
        (3900, "1h5m"),
        (0.5, "0.5s"),
        (0, "0s"),
    ],
)
def test_format_length(seconds: float, text: str) -> None:
    assert format_length(timedelta(seconds=seconds)) == text


@pytest.mark.parametrize("text", ["90s", "1h30m", "2m", "1d2h3m4s"])
def test_format_length_reads_back(text: str) -> None:
    assert format_length(parse_length(text)) == format_length(
        parse_length(format_length(parse_length(text)))
    )
    assert parse_length(format_length(parse_length(text))) == parse_length(text)
