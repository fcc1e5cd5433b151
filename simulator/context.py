"""What every route needs, handed over explicitly: config, fleet, state, renderers, clips."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

from simulator.clips import ClipLibrary
from simulator.config import SimulatorConfig
from simulator.errors import ApiError, bad_request, not_found
from simulator.fleet import Camera, Device, Fleet
from simulator.render import Studio
from simulator.state import SimulatorState
from simulator.timefmt import parse_timestamp


@dataclass(frozen=True)
class Context:
    cfg: SimulatorConfig
    fleet: Fleet
    state: SimulatorState
    studio: Studio
    clips: ClipLibrary

    def now(self) -> float:
        """The simulated cloud's "now" (cfg.clock), which footage and URLs are measured against."""
        return self.cfg.clock()

    def status(self, camera: Camera) -> str:
        """ "online" or "offline" now, from the fleet's windows and the outages begun since."""
        now = self.now()
        windows = (*camera.offline, *self.state.outages(camera.serial))
        return "offline" if any(w.contains(now) for w in windows) else "online"

    def offline_during(self, camera: Camera, start: float, end: float) -> bool:
        windows = self.state.outages(camera.serial)
        return camera.offline_during(start, end) or any(w.overlaps(start, end) for w in windows)

    def organization(self, request: Request) -> str:
        """The organisation id of the path, 404 unless it is the fleet's."""
        org_id = str(request.path_params["organizationId"])
        if org_id != self.fleet.organization.id:
            raise not_found()
        return org_id

    def device(self, request: Request) -> Device:
        device = self.fleet.device(str(request.path_params["serial"]))
        if device is None:
            raise not_found()
        return device

    def camera(self, request: Request) -> Camera:
        """The camera of the path; unknown serials and non-cameras are 404, as in the cloud."""
        camera = self.fleet.camera(str(request.path_params["serial"]))
        if camera is None:
            raise not_found()
        return camera


def timestamp_param(value: object, name: str) -> float:
    """Epoch seconds of an ISO 8601 parameter, 400 if it is malformed or has no offset."""
    if not isinstance(value, str) or not value:
        raise bad_request(f"'{name}' must be an ISO 8601 timestamp")
    try:
        return parse_timestamp(value)
    except ValueError as exc:
        raise bad_request(
            f"'{name}' must be an ISO 8601 timestamp with a time zone, "
            "like 2024-03-23T14:30:00.000Z"
        ) from exc


def int_param(value: str | None, name: str, low: int, high: int, default: int) -> int:
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError as exc:
        raise bad_request(f"'{name}' must be an integer") from exc
    if not low <= number <= high:
        raise bad_request(f"'{name}' must be between {low} and {high}")
    return number


def list_param(request: Request, name: str) -> list[str]:
    """An array query parameter, sent as `name[]=a&name[]=b` (or `name=a`)."""
    return request.query_params.getlist(f"{name}[]") + request.query_params.getlist(name)


__all__ = ["ApiError", "Context", "int_param", "list_param", "timestamp_param"]
