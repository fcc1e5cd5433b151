"""Steps several commands share: finding the camera a person named, in a room allowed to see it."""

from __future__ import annotations

from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.cameras import AmbiguousCamera, CameraDirectory, CameraNotFound, CameraRecord
from bot.errors import Refused, UserError

if TYPE_CHECKING:
    from bot.core import Request


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

    A miss reloads the directory once (a camera added since the last load) before it
    becomes a "did you mean" answer.
    """
    catalog = request.services.catalog
    directory = await catalog.directory()
    try:
        record = directory.resolve(query)
    except CameraNotFound:
        directory = await catalog.directory(fresh=True)
        try:
            record = directory.resolve(query)
        except (CameraNotFound, AmbiguousCamera) as error:
            raise UserError(str(error)) from None
    except AmbiguousCamera as error:
        raise UserError(str(error)) from None
    if not request.services.access.may_see(record.tags, request.message.place):
        raise Refused(f"{record.name} is not available in this room.")
    return record, directory
