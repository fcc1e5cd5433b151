"""Several cameras named in one ask: each name or `@group` → the cameras a room may see.

The same rules as one camera (`find_camera`): a name is looked up among the cameras the
room may see, so a typo's "did you mean" never offers a restricted camera; a restricted
camera named outright is reported as not available here; a group (`@HQ`) quietly holds
only the cameras the room may see. A bad name is a problem to report, not a failure of
the whole ask: the other cameras are still delivered.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.cameras.directory import (
    AmbiguousCamera,
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
        return [visible.resolve(name.text)], None
    except AmbiguousCamera as error:
        return [], str(error)
    except CameraNotFound as error:
        missing = str(error)
    try:
        hidden = directory.resolve(name.text)
    except CameraLookupError:
        return [], missing
    return [], f"{literal(hidden.name)} is not available in this room."


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
