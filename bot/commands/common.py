"""Steps several commands share: finding the camera a person named, in a room allowed to see it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.cameras import AmbiguousCamera, CameraDirectory, CameraNotFound, CameraRecord
from bot.errors import Refused, UserError

if TYPE_CHECKING:
    from bot.core import Request


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
