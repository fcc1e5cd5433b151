"""Dashboard API error answers: `{"errors": [message]}` with the cloud's status codes."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response


class ApiError(Exception):
    """Raised by a route to answer with an error status and message."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


def error_response(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse({"errors": [message]}, status_code=status, headers=headers)


def not_found() -> ApiError:
    return ApiError(404, "Not found")


def bad_request(message: str) -> ApiError:
    return ApiError(400, message)


async def handle_api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(exc.status, exc.message, exc.headers)
