"""Unit tests: the share commands' grammar, and link tokens and PINs."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.commands.shares import parse_access_log, parse_extend, parse_revoke, parse_share
from bot.grammar.tokens import ParseError, tokenize
from bot.shares.credentials import (
    looks_like_token,
    new_pin,
    new_token,
    pin_hash,
    pin_matches,
    pin_proof,
    proof_matches,
    token_hash,
)


def words(text: str) -> list[str]:
    return list(tokenize(text))


def test_share_reads_cameras_email_and_options() -> None:
    args = parse_share(
        words('lobby, garage entrance and "Dock, North" with <Police@Example.org> '
              'name "Officer Reyes" reason "case 4411" pin')
    )  # fmt: skip
    assert args.cameras == ("lobby", "garage entrance", "Dock, North")
    assert args.email == "police@example.org"
    assert (args.name, args.reason, args.pin) == ("Officer Reyes", "case 4411", True)


def test_share_options_may_come_unquoted_and_in_any_order() -> None:
    args = parse_share(words("lobby with a@b.co pin reason night shift name Sam"))
    assert (args.name, args.reason, args.pin) == ("Sam", "night shift", True)
    # "with" inside a camera name is fine when no e-mail follows it.
    assert parse_share(words("room with a view with a@b.co")).cameras == ("room with a view",)


@pytest.mark.parametrize(
    "text",
    [
        "lobby",
        "with a@b.co",
        "lobby with not-an-email",
        "lobby with a@b.co pin pin",
        "x with a@b.co y",
    ],
)
def test_share_mistakes(text: str) -> None:
    with pytest.raises(ParseError):
        parse_share(words(text))


def test_extend_defaults_to_an_hour_and_reads_lengths() -> None:
    assert parse_extend(words("a@b.co")) == ("a@b.co", timedelta(hours=1))
    assert parse_extend(words("A@B.co by 3h")) == ("a@b.co", timedelta(hours=3))
    assert parse_extend(words("a@b.co 90m")) == ("a@b.co", timedelta(minutes=90))
    for bad in ("", "3h", "a@b.co 30 days", "a@b.co later"):
        with pytest.raises(ParseError):
            parse_extend(words(bad))


def test_revoke_names_one_camera_or_all() -> None:
    assert parse_revoke(words("garage entrance a@b.co")) == ("garage entrance", "a@b.co")
    assert parse_revoke(words("all a@b.co")) == (None, "a@b.co")
    assert parse_revoke(words('"all" a@b.co')) == ("all", "a@b.co")
    with pytest.raises(ParseError):
        parse_revoke(words("lobby"))


def test_access_log_reads_a_subject_and_a_time() -> None:
    assert parse_access_log(words("log")) == (None, None)
    assert parse_access_log(words("log lobby since yesterday 9am")) == (
        "lobby",
        ["yesterday", "9am"],
    )
    assert parse_access_log(words("log since 1h ago")) == (None, ["1h", "ago"])
    for bad in ("", "logs", "log lobby since"):
        with pytest.raises(ParseError):
            parse_access_log(words(bad))


def test_tokens_carry_256_bits_and_only_their_hash_is_kept() -> None:
    tokens = {new_token() for _ in range(100)}
    assert len(tokens) == 100 and all(looks_like_token(t) for t in tokens)
    token = tokens.pop()
    assert len(token) == 43  # 32 bytes of URL-safe base64
    assert len(token_hash(token)) == 64 and token not in token_hash(token)
    assert not looks_like_token(token[:-1]) and not looks_like_token(token[:-1] + "/")


def test_pins_are_salted_and_checked() -> None:
    pin = new_pin()
    assert len(pin) == 6 and pin.isdigit()
    first, second = pin_hash(pin), pin_hash(pin)
    assert first != second and pin not in first
    assert pin_matches(pin, first) and pin_matches(pin, second)
    assert not pin_matches(str((int(pin) + 1) % 10**6).zfill(6), first)
    assert not pin_matches(pin, "garbage")


def test_a_pin_proof_is_bound_to_its_link_and_key() -> None:
    proof = pin_proof(b"k" * 32, "a" * 64)
    assert proof_matches(b"k" * 32, "a" * 64, proof)
    assert not proof_matches(b"k" * 32, "b" * 64, proof)
    assert not proof_matches(b"x" * 32, "a" * 64, proof)
