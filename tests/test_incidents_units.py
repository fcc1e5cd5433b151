"""Incident units: the command's grammar, the link tokens, the page's escaping."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.commands.incidents import IncidentAction, NewIncident, parse_incident
from bot.grammar.tokens import ParseError, tokenize
from bot.incidents.signing import IncidentSigner
from bot.web.timeline.timeline_page import json_for_html


def parse(text: str) -> NewIncident | IncidentAction:
    return parse_incident(tokenize(text))


def test_a_new_incident_reads_cameras_time_length_and_a_quoted_note() -> None:
    asked = parse('lobby, garage entrance, warehouse 14:30 5m "forklift collision"')
    assert isinstance(asked, NewIncident)
    assert asked.note == "forklift collision"
    assert asked.clip.cameras is not None
    assert [str(n) for n in asked.clip.cameras.names] == [
        "lobby",
        "garage entrance",
        "warehouse",
    ]
    single = parse("lobby 14:30 1m")
    assert isinstance(single, NewIncident) and single.note == "" and single.clip.camera == "lobby"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12", IncidentAction(12, "show")),
        ("#12 revoke", IncidentAction(12, "revoke")),
        ("12 add garage entrance", IncidentAction(12, "add", "garage entrance")),
    ],
)
def test_a_number_names_an_incident_to_show_extend_or_revoke(
    text: str, expected: IncidentAction
) -> None:
    assert parse(text) == expected


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "Which cameras"),
        ("12 add", "Which camera?"),
        ("12 delete", "incident 12 revoke"),
        ("lobby", "`incident lobby"),
        ("lobby 14:30 1m ts", "MP4"),
        ('lobby 14:30 "' + "x" * 501 + '"', "up to 500 characters"),
    ],
)
def test_what_cannot_be_read_gets_a_sentence_in_this_command_s_words(text: str, says: str) -> None:
    with pytest.raises(ParseError) as error:
        parse(text)
    assert says in str(error.value)
    assert "`clip " not in str(error.value)


def test_a_link_token_is_read_back_and_refused_once_changed() -> None:
    signer = IncidentSigner(b"k" * 32)
    expires = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    token = signer.token(12, expires)
    issued = signer.read(token)
    assert issued is not None and (issued.number, issued.expires) == (12, expires)
    body, _, signature = token.rpartition("-")
    assert signer.read(token.replace("12-", "13-", 1)) is None
    assert signer.read(f"{body}-{'0' * len(signature)}") is None
    assert signer.read("ünïcode-") is None
    assert IncidentSigner(b"j" * 32).read(token) is None


def test_json_in_the_page_cannot_end_its_script_block() -> None:
    text = json_for_html({"text": "</script><!-- & é"})
    assert "<" not in text and ">" not in text and "&" not in text and "é" in text
