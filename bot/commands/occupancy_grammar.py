"""The `occupancy` command's words: queries, alert changes, and the errors that explain them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.grammar.hours import Hours, parse_hours
from bot.grammar.tokens import ParseError, echo, is_quoted, join_words, split_subject
from bot.occupancy.window import Window, parse_window


@dataclass(frozen=True)
class Query:
    camera: str | None  # None: every Sense camera
    zone: str | None
    window: Window | None
    csv: bool = False


@dataclass(frozen=True)
class AddAlert:
    camera: str
    zone: str | None
    threshold: int
    hours: Hours | None = None  # fires only then, on the camera's clock


@dataclass(frozen=True)
class RemoveAlert:
    rule_id: int | None
    camera: str | None = None
    zone: str | None = None


@dataclass(frozen=True)
class ListAlerts:
    pass


Args = Query | AddAlert | RemoveAlert | ListAlerts


def _word(token: str, *choices: str) -> bool:
    return not is_quoted(token) and token.lower() in choices


def parse_occupancy(tokens: Sequence[str]) -> Args:
    words = [t for t in tokens if t != "," or is_quoted(t)]
    if not words:
        raise ParseError("Which camera? Try `occupancy warehouse`, `occupancy all` or `… today`.")
    if _word(words[0], "alerts") and len(words) == 1:
        return ListAlerts()
    if _word(words[0], "alert", "alerts") and len(words) == 2 and _word(words[1], "list"):
        return ListAlerts()
    if _word(words[0], "alert"):
        rest = words[1:]
        if rest and _word(rest[0], "off", "remove", "delete", "stop"):
            return _remove(rest[1:])
        return _add(rest)
    csv = False
    if len(words) > 1 and _word(words[-1], "csv"):
        csv, words = True, words[:-1]
    camera_words, zone, window = _subject(words)
    camera = join_words(camera_words).strip()
    if not camera:
        raise ParseError("Which camera? Try `occupancy warehouse` or `occupancy all`.")
    if camera.lower() == "all" and not is_quoted(camera_words[0]):
        if zone is not None or window is not None or csv:
            raise ParseError(
                "`occupancy all` shows counts now — ask one camera for a zone or window."
            )
        return Query(None, None, None)
    if csv and window is None:
        raise ParseError(f"`csv` goes with a window — try `occupancy {camera} today csv`.")
    return Query(camera, zone, window, csv)


def _subject(words: list[str]) -> tuple[list[str], str | None, Window | None]:
    """Camera words, then optionally `zone <name>`, then optionally a window."""
    cut = next((i for i, w in enumerate(words) if i and _word(w, "zone")), None)
    if cut is not None:
        rest = words[cut + 1 :]
        if not rest:
            raise ParseError("Which zone? Try `occupancy warehouse zone dock doors`.")
        zone, window = _name_and_window(rest)
        return words[:cut], join_words(zone), window
    camera, window = _name_and_window(words)
    return camera, None, window


def _name_and_window(words: list[str]) -> tuple[list[str], Window | None]:
    # Without an empty tail, a bad window ("25:00") raises its own sentence instead of
    # being read as part of the name.
    split = split_subject(words, parse_window)
    return (words, None) if split is None else (split[0], split[1])


def _add(words: list[str]) -> AddAlert:
    example = "occupancy alert warehouse zone dock doors above 10"
    above = next((i for i in range(len(words) - 1, -1, -1) if _word(words[i], "above", ">")), None)
    if above is None or above == 0:
        raise ParseError(f"Above how many people? Try `{example}`.")
    number, tail = words[above + 1 : above + 2], words[above + 2 :]
    if len(number) != 1 or not number[0].isdigit():
        raise ParseError(f"'{echo(number)}' is not a whole number of people — try `{example}`.")
    camera, zone = _camera_zone(words[:above], example)
    hours = parse_hours(tail) if tail else None  # "above 10 22:00-06:00 weekdays"
    return AddAlert(camera, zone, int(number[0]), hours)


def _remove(words: list[str]) -> RemoveAlert:
    if len(words) == 1 and words[0].lstrip("#").isdigit():
        return RemoveAlert(int(words[0].lstrip("#")))
    if not words:
        raise ParseError(
            "Which alert? Try `occupancy alert off 3` (`occupancy alerts` lists them)."
        )
    camera, zone = _camera_zone(words, "occupancy alert off 3")
    return RemoveAlert(None, camera, zone)


def _camera_zone(words: list[str], example: str) -> tuple[str, str | None]:
    cut = next((i for i, w in enumerate(words) if i and _word(w, "zone")), None)
    camera = join_words(words[:cut]).strip()
    zone = join_words(words[cut + 1 :]).strip() if cut is not None else None
    if not camera or zone == "":
        raise ParseError(f"Which camera and zone? Try `{example}`.")
    return camera, zone
