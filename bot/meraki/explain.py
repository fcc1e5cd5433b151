"""Turn a Meraki API error into a sentence for the person who asked (never a status code dump)."""

from __future__ import annotations

from bot.meraki.errors import (
    CameraOffline,
    DownloadTooLarge,
    InvalidRequest,
    MediaExpired,
    MerakiError,
    NotFound,
    OrganizationUnresolved,
    OutsideRetention,
    RateLimited,
    TooRecent,
    Unauthorized,
    Unavailable,
)


def explain(error: MerakiError, camera: str | None = None, when: str | None = None) -> str:
    """One sentence; `camera` and `when` (already formatted) make it specific when known."""
    cam = camera or "the camera"
    at = f" at {when}" if when else ""
    match error:
        case OutsideRetention():
            footage = f"Footage from {when}" if when else "That footage"
            return f"{footage} is past {cam}'s retention period — the camera no longer keeps it."
        case CameraOffline():
            return f"{cam} was offline{at}, so there is no footage for that time."
        case TooRecent():
            return f"The footage{at} has not reached the Meraki cloud yet — try again in a minute."
        case NotFound():
            return f"The Meraki API does not know {cam} (or this API key cannot see it)."
        case Unauthorized():
            return "The Meraki API refused mvbot's API key — an mvbot admin needs to check it."
        case OrganizationUnresolved():
            return (
                "mvbot's API key sees several Meraki organisations (or none) — an mvbot admin "
                "needs to set MVBOT_MERAKI_ORG_ID."
            )
        case RateLimited():
            return "The Meraki API is busy (rate limit reached) — please try again in a minute."
        case Unavailable() | MediaExpired():
            return "The Meraki cloud did not answer in time — please try again shortly."
        case DownloadTooLarge():
            return f"The video from {cam} is larger than mvbot is allowed to download."
        case InvalidRequest():
            detail = "; ".join(error.details) or "it was not valid"
            return f"The Meraki API refused the request for {cam}: {detail}."
        case _:
            return f"The Meraki API could not do that for {cam}."
