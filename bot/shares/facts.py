"""What the viewer page shows about a camera, read from the Dashboard API when it is shared."""

from __future__ import annotations

import asyncio
import logging

from bot.cameras.directory import CameraRecord
from bot.meraki import MerakiClient, MerakiError, Priority
from bot.shares.model import CameraFacts

log = logging.getLogger(__name__)


async def camera_facts(meraki: MerakiClient, record: CameraRecord) -> CameraFacts:
    """Organisation, network, name and installed address (seed 001's list) of a camera.

    The directory holds no address or organisation name, so they are asked for here; a
    failure leaves them blank rather than failing the share.
    """
    org_name, address = await asyncio.gather(_org_name(meraki), _address(meraki, record.serial))
    return CameraFacts(
        serial=record.serial,
        name=record.name,
        model=record.model,
        network_name=record.network_name,
        org_name=org_name,
        address=address,
    )


async def _org_name(meraki: MerakiClient) -> str:
    try:
        org_id = await meraki.organization_id()
        organisations = await meraki.organizations()
    except MerakiError as error:
        log.warning("organisation name unavailable error=%r", error)
        return ""
    return next((org.name for org in organisations if org.id == org_id), "")


async def _address(meraki: MerakiClient, serial: str) -> str:
    try:
        device = await meraki.device(serial, priority=Priority.INTERACTIVE)
    except MerakiError as error:
        log.warning("camera address unavailable serial=%s error=%r", serial, error)
        return ""
    address = device.raw.get("address")
    return address.strip() if isinstance(address, str) else ""
