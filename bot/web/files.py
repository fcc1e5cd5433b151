"""`/files/<token>/<name>`: downloads of clips too large for a chat upload, by signed link."""

from __future__ import annotations

from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import Route

from bot.web.links import FileLinks

_MIME = {".mp4": "video/mp4", ".ts": "video/mp2t", ".jpg": "image/jpeg", ".png": "image/png"}


def file_routes(links: FileLinks, clock: Callable[[], float] | None = None) -> list[Route]:
    """The download route for `links`' folder; `clock` (epoch seconds) decides expiry.

    Starlette's FileResponse streams the file and answers `Range` requests (206), so a
    long export resumes where a broken download stopped."""

    async def download(request: Request) -> Response:
        now = clock() if clock is not None else None
        path = links.resolve(request.path_params["token"], now=now)
        if path is None:
            return PlainTextResponse("This link has expired or is not valid.", status_code=410)
        return FileResponse(
            path,
            media_type=_MIME.get(path.suffix, "application/octet-stream"),
            filename=path.name,
            headers={"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"},
        )

    return [Route(f"/{links.prefix}/{{token}}/{{name}}", download)]
