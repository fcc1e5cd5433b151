"""Several cameras named in one ask: each name or `@group` → the cameras a room may see.

One name follows the rules of `visible_camera`, which `find_camera` uses too: it is looked
up among the cameras the room may see, so a typo's "did you mean" never offers a restricted
camera; a restricted camera named outright is reported as not available here. A group
(`@HQ`) quietly holds only the cameras the room may see. A bad name is a problem to report,
not a failure of the whole ask: the other cameras are still delivered.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.cameras.directory import (
    CameraDirectory,
    CameraLookupError,
    CameraNotFound,
    CameraRecord,
)
from bot.grammar.cameras import CameraList, CameraName
from bot.messages import literal

MaySee = Callable[[CameraRecord], bool]


@dataclass(frozen=True)
class Selection:
    """The cameras picked, in the order named (each once), and one sentence per bad name."""

    cameras: tuple[CameraRecord, ...]
    problems: tuple[str, ...]


class NotHere(CameraLookupError):
    """A camera the room may not see, named outright (so "did you mean" reveals nothing)."""

    def __init__(self, query: str, record: CameraRecord) -> None:
        super().__init__(query)
        self.record = record

    def __str__(self) -> str:
        return f"{literal(self.record.name)} is not available in this room."


def visible_camera(
    directory: CameraDirectory, visible: CameraDirectory, query: str
) -> CameraRecord:
    """The one camera `query` names among `visible` (the part of `directory` a room may see).

    Raise AmbiguousCamera or CameraNotFound as `visible.resolve` does, or NotHere when the
    name misses in `visible` but names one camera of the whole `directory`.
    """
    try:
        return visible.resolve(query)
    except CameraNotFound as missing:
        try:
            hidden = directory.resolve(query)
        except CameraLookupError:
            raise missing from None
        raise NotHere(query, hidden) from None


class TooManyCameras(ValueError):
    """More cameras than one ask may hold; `str()` is the sentence to show."""


def select_cameras(
    directory: CameraDirectory, listed: CameraList, may_see: MaySee, cap: int
) -> Selection:
    """Resolve every name of `listed`; raise TooManyCameras past `cap` cameras."""
    visible = directory.with_records(r for r in directory if may_see(r))
    if listed.by_and:
        whole = " and ".join(n.text for n in listed.names if not n.group)
        if len(listed.names) > 1 and not any(n.group for n in listed.names):
            # "Shipping and Receiving" may be one camera's name: that reading wins.
            try:
                return Selection((visible.resolve(whole),), ())
            except CameraLookupError:
                pass
    picked: dict[str, CameraRecord] = {}
    problems: list[str] = []
    for name in listed.names:
        found, problem = (
            _group(directory, name, may_see) if name.group else _one(directory, visible, name)
        )
        if problem:
            problems.append(problem)
        for record in found:
            picked.setdefault(record.serial, record)
    if len(picked) > cap:
        raise TooManyCameras(
            f"That is {len(picked)} cameras; one ask covers up to {cap} — name fewer cameras "
            "or a narrower @network or @tag."
        )
    return Selection(tuple(picked.values()), tuple(problems))


def _one(
    directory: CameraDirectory, visible: CameraDirectory, name: CameraName
) -> tuple[list[CameraRecord], str | None]:
    try:
        return [visible_camera(directory, visible, name.text)], None
    except CameraLookupError as error:
        return [], str(error)


def _group(
    directory: CameraDirectory, name: CameraName, may_see: MaySee
) -> tuple[list[CameraRecord], str | None]:
    key = _key(name.text)
    members = [
        r
        for r in directory
        if key and (_key(r.network_name) == key or any(_key(t) == key for t in r.tags))
    ]
    shown = [r for r in members if may_see(r)]
    if shown:
        return shown, None
    # Said the same way whether the group is unknown or holds only restricted cameras.
    return [], f"No camera here is in a network or has a tag called '{literal(name.text)}'."


def _key(text: str) -> str:
    return "".join(ch for ch in text.casefold() if ch.isalnum())
