"""Steps several commands share: finding the camera a person named, in a room allowed to see it."""

from __future__ import annotations

from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.cameras.directory import (
    AmbiguousCamera,
    CameraDirectory,
    CameraNotFound,
    CameraRecord,
)
from bot.cameras.selection import (
    NotHere,
    Selection,
    TooManyCameras,
    select_cameras,
    visible_camera,
)
from bot.errors import Refused, UserError
from bot.grammar.cameras import CameraList

if TYPE_CHECKING:
    from bot.router import Request


def spoken_zone(request: Request, record: CameraRecord, directory: CameraDirectory) -> ZoneInfo:
    """The zone the asker's times are read in: theirs or their room's if configured, else
    the camera's (its network's, or its configured override)."""
    services, message = request.services, request.message
    person = message.person
    for key in (person.id, person.email or ""):
        if key and (
            name := services.person_zones.get(key) or services.person_zones.get(key.lower())
        ):
            return ZoneInfo(name)
    if name := services.room_zones.get(message.place.room_id):
        return ZoneInfo(name)
    return directory.zone(record)


async def find_camera(request: Request, query: str) -> tuple[CameraRecord, CameraDirectory]:
    """The one camera `query` names, visible in the request's room, and the directory it is in.

    The name is looked up among the cameras this room may see, so a typo's "did you mean"
    never reveals a restricted camera; a restricted camera named outright is refused. A
    miss reloads the directory once (a camera added since the last load).
    """
    access, place = request.services.access, request.message.place
    missing: CameraNotFound | None = None
    for fresh in (False, True):
        directory = await request.services.catalog.directory(fresh=fresh)
        visible = directory.with_records(r for r in directory if access.may_see(r.tags, place))
        try:
            return visible_camera(directory, visible, query), directory
        except AmbiguousCamera as error:
            raise UserError(str(error)) from None
        except NotHere as error:
            raise Refused(f"{error.record.name} is not available in this room.") from None
        except CameraNotFound as error:
            missing = error
    assert missing is not None
    raise UserError(str(missing))


async def find_cameras(request: Request, listed: CameraList) -> tuple[Selection, CameraDirectory]:
    """The cameras a several-camera ask names (see `bot.cameras.selection`), at least one.

    A name that matches nothing reloads the directory once, as `find_camera` does; when no
    name at all gives a camera, the ask fails with every reason.
    """
    services, place = request.services, request.message.place
    selection: Selection | None = None
    for fresh in (False, True):
        directory = await services.catalog.directory(fresh=fresh)
        try:
            selection = select_cameras(
                directory,
                listed,
                lambda r: services.access.may_see(r.tags, place),
                services.clips.max_cameras,
            )
        except TooManyCameras as error:
            raise UserError(str(error)) from None
        if not selection.problems:
            break
    assert selection is not None
    if not selection.cameras:
        raise UserError(" ".join(selection.problems))
    return selection, directory
