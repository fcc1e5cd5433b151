"""Camera lists ("lobby, warehouse", "lobby and garage entrance", "@HQ") and imager picks.

Only syntax: which words name which camera or group. Whether a name is a camera, a
network or a tag is the directory's business; a handler resolves each `CameraName`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.grammar.tokens import ParseError, is_quoted, join_words

__all__ = ["CAMERA_LIST_HELP", "CameraList", "CameraName", "split_cameras", "take_imager"]

CAMERA_LIST_HELP = (
    "Several cameras: separate them with commas or `and` (`lobby, warehouse`, "
    "`lobby and garage entrance`); `@HQ` is every camera of the network HQ or with the tag HQ."
)
_GROUP_MARK = "@"
_IMAGER_WORDS = frozenset({"imager", "lens", "sensor"})
_IMAGER_JOINED = re.compile(r"(?:imager|lens|sensor)#?(\d{1,2})", re.ASCII)
_NUMBER = re.compile(r"#?(\d{1,2})", re.ASCII)


@dataclass(frozen=True)
class CameraName:
    """One name in a list: a camera's name, or (`group`) a network or camera tag after `@`."""

    text: str
    group: bool = False

    def __str__(self) -> str:
        return f"{_GROUP_MARK}{self.text}" if self.group else self.text


@dataclass(frozen=True)
class CameraList:
    """The cameras one ask names, in order. `by_and` says some names were split at "and"
    only, so the whole phrase may still be one camera's name ("Shipping and Receiving")."""

    names: tuple[CameraName, ...]
    by_and: bool = False

    @property
    def several(self) -> bool:
        """More than one camera, or a group that may hold several."""
        return len(self.names) > 1 or any(n.group for n in self.names)


def split_cameras(words: Sequence[str]) -> CameraList:
    """Split a command's camera words at commas and at an unquoted "and"."""
    names: list[CameraName] = []
    current: list[str] = []
    by_and = False

    def close() -> None:
        text = join_words(current).strip()
        current.clear()
        if not text:
            return
        if text.startswith(_GROUP_MARK):
            group = text[len(_GROUP_MARK) :].strip()
            if not group:
                raise ParseError("Say which network or tag after `@`, e.g. `clip @HQ 14:30 1m`.")
            names.append(CameraName(group, group=True))
        else:
            names.append(CameraName(text))

    for word in words:
        quoted = is_quoted(word)
        if not quoted and word == ",":
            close()
        elif not quoted and word.lower() in ("and", "&") and current:
            by_and = True
            close()
        else:
            current.append(word)
    close()
    return CameraList(tuple(names), by_and)


def take_imager(words: Sequence[str]) -> tuple[list[str], int | None]:
    """Remove "imager 3" (or "imager3", "lens 2") from the words; return them and the number.

    Only a word followed by a number counts, so a camera called "Imager Bay" keeps its name.
    """
    out = list(words)
    for i, word in enumerate(out):
        if is_quoted(word):
            continue
        joined = _IMAGER_JOINED.fullmatch(word.lower())
        if joined is not None and i > 0:
            return out[:i] + out[i + 1 :], _imager_number(joined.group(1))
        if word.lower() in _IMAGER_WORDS and 0 < i < len(out) - 1 and not is_quoted(out[i + 1]):
            number = _NUMBER.fullmatch(out[i + 1])
            if number is not None:
                return out[:i] + out[i + 2 :], _imager_number(number.group(1))
    return out, None


def _imager_number(text: str) -> int:
    number = int(text)
    if number < 1:
        raise ParseError("Imagers count from 1 — try `clip parking lot imager 1 14:30 1m`.")
    return number
