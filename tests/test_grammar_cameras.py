"""Camera lists and imager picks in the clip grammar: commas, "and", @groups, `imager <n>`."""

from __future__ import annotations

from datetime import time, timedelta

import pytest

from bot.commands.clip import DEFAULT_CLIP_LENGTH, ClipArgs, parse_clip
from bot.grammar import At, ParseError, split_command
from bot.grammar.cameras import CameraList, CameraName


def clip(text: str) -> ClipArgs:
    name, tokens = split_command(text)
    assert name == "clip"
    return parse_clip(tokens)


@pytest.mark.parametrize(
    ("text", "names", "by_and"),
    [
        ("clip lobby, warehouse 14:30 2m", ("lobby", "warehouse"), False),
        ("clip lobby,warehouse 14:30 2m", ("lobby", "warehouse"), False),
        ("clip lobby and garage entrance 10m ago 1m", ("lobby", "garage entrance"), True),
        ("clip lobby, warehouse and garage 14:30", ("lobby", "warehouse", "garage"), True),
        ('clip "Lobby", "Garage Entrance" 14:30', ("Lobby", "Garage Entrance"), False),
    ],
)
def test_a_list_of_cameras(text: str, names: tuple[str, ...], by_and: bool) -> None:
    args = clip(text)
    assert args.cameras == CameraList(tuple(CameraName(n) for n in names), by_and)
    assert args.when == At(time(14, 30)) or "ago" in text


def test_a_group_names_a_network_or_tag() -> None:
    args = clip("clip @HQ 14:30 1m")
    assert args.cameras == CameraList((CameraName("HQ", group=True),))
    assert args.length == timedelta(minutes=1)
    both = clip("clip @Distribution Center, lobby 14:30")
    assert both.cameras is not None
    assert both.cameras.names == (
        CameraName("Distribution Center", group=True),
        CameraName("lobby"),
    )


@pytest.mark.parametrize(
    ("text", "camera", "imager"),
    [
        ("clip parking lot imager 3 14:30 1m", "parking lot", 3),
        ("clip parking lot imager3 14:30 1m", "parking lot", 3),
        ("clip Q2LV-PRKG-0006 imager 2 2026-03-23T14:30:00Z 30s", "Q2LV-PRKG-0006", 2),
    ],
)
def test_an_imager_goes_with_the_camera(text: str, camera: str, imager: int) -> None:
    args = clip(text)
    assert (args.camera, args.imager, args.cameras) == (camera, imager, None)


def test_one_camera_reads_as_before() -> None:
    assert clip("clip lobby, 14:30, 2m ts") == ClipArgs(
        "lobby", At(time(14, 30)), timedelta(minutes=2), True
    )
    assert clip("clip imager bay 14:30") == ClipArgs(
        "imager bay", At(time(14, 30)), DEFAULT_CLIP_LENGTH
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("clip @ 14:30", "after `@`"),
        ("clip parking lot imager 0 14:30", "Imagers count from 1"),
        ("clip lobby, parking lot imager 2 14:30", "An imager goes with one camera"),
    ],
)
def test_list_mistakes_are_explained(text: str, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        clip(text)
