"""Tokenising chat text and splitting off the command name."""

from collections.abc import Sequence

import pytest

from bot.grammar.tokens import (
    ParseError,
    Token,
    Unrecognised,
    echo,
    is_quoted,
    join_words,
    split_command,
    split_subject,
    tokenize,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("clip lobby 14:30", ["clip", "lobby", "14:30"]),
        ('clip "Garage Entrance" 9am', ["clip", "Garage Entrance", "9am"]),
        ("clip 'Garage Entrance' 9am", ["clip", "Garage Entrance", "9am"]),
        ("clip “Garage Entrance” 9am", ["clip", "Garage Entrance", "9am"]),
        ("clip ”Garage Entrance” 9am", ["clip", "Garage Entrance", "9am"]),
        ("clip ‘Garage Entrance’ 9am", ["clip", "Garage Entrance", "9am"]),
        ("clip 'Bob's desk' now", ["clip", "Bob's desk", "now"]),
        ("clip Bob's desk now", ["clip", "Bob's", "desk", "now"]),
        ("  clip\tlobby\u00a0 now  ", ["clip", "lobby", "now"]),
        ("share lobby, garage with a@b.c", ["share", "lobby", ",", "garage", "with", "a@b.c"]),
        ('name "Dock, Doors"', ["name", "Dock, Doors"]),
        ('clip "lobby 14:30', ["clip", "lobby", "14:30"]),
        ("", []),
    ],
)
def test_tokenize_honours_quotes(text: str, expected: list[str]) -> None:
    assert tokenize(text) == expected


def test_quoted_tokens_are_marked() -> None:
    tokens = tokenize('clip "now" now')
    assert [is_quoted(t) for t in tokens] == [False, True, False]
    assert not is_quoted("plain str")


def test_empty_quotes_give_an_empty_quoted_token() -> None:
    tokens = tokenize('name ""')
    assert tokens == ["name", ""]
    assert tokens[1].quoted


@pytest.mark.parametrize(
    "text",
    [
        "clip lobby now",
        "/mv clip lobby now",
        "mv clip lobby now",
        "MV CLIP lobby now",
        "/clip lobby now",
        "Clip: lobby now",
    ],
)
def test_split_command_tolerates_prefixes_and_case(text: str) -> None:
    assert split_command(text) == ("clip", ["lobby", "now"])


def test_split_command_keeps_punctuation_only_names() -> None:
    assert split_command("help?") == ("help", [])
    assert split_command("? clip") == ("?", ["clip"])


def test_split_command_keeps_argument_case() -> None:
    assert split_command("HELP Clip") == ("help", ["Clip"])


@pytest.mark.parametrize("text", ["", "   ", "/mv", "mv ,"])
def test_split_command_without_a_command_explains(text: str) -> None:
    with pytest.raises(ParseError, match="help"):
        split_command(text)


def test_split_command_refuses_a_quoted_name() -> None:
    with pytest.raises(ParseError, match="not a command"):
        split_command('"clip" lobby')


def test_echo_is_one_short_line_without_backticks() -> None:
    flat = echo("a\nb   `c`" + "x" * 200)
    assert "\n" not in flat and "`" not in flat
    assert len(flat) <= 80 and flat.endswith("…")
    assert echo([Token("Garage Entrance", quoted=True), "now"]) == '"Garage Entrance" now'


def test_join_words_rebuilds_a_name() -> None:
    assert join_words(["garage", "entrance"]) == "garage entrance"


def _digits(words: Sequence[str]) -> int:
    """Accept one or more number words and add them up; zero is a bad value."""
    if not words or not all(w.isdigit() for w in words):
        raise Unrecognised("not a number")
    if "0" in words:
        raise ParseError("zero is not allowed")
    return sum(int(w) for w in words)


def test_split_subject_takes_the_shortest_subject() -> None:
    assert split_subject(["gate", "7", "3"], _digits) == (["gate"], 10)
    assert split_subject(["gate", "seven", "3"], _digits) == (["gate", "seven"], 3)
    assert split_subject(["gate", "seven"], _digits) is None


def test_split_subject_allows_an_empty_tail_when_asked() -> None:
    assert split_subject(["gate"], _digits) is None
    assert split_subject(["gate"], lambda w: len(w), allow_empty_tail=True) == (["gate"], 0)


def test_split_subject_stops_at_a_quoted_name() -> None:
    quoted = [Token("Gate 2", quoted=True), Token("x"), Token("3")]
    assert split_subject(quoted, _digits) is None


def test_split_subject_reports_a_specific_error_when_nothing_fits() -> None:
    with pytest.raises(ParseError, match="zero"):
        split_subject(["gate", "0"], _digits)
