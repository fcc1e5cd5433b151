"""Which rooms hear of an event: the configured routing rules, or the rooms it names itself."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.config.sections import EventRoute
from bot.messages import Place


@dataclass(frozen=True)
class EventFacts:
    """What a rule can look at."""

    serial: str
    camera: str
    network_id: str
    network_name: str
    type: str


def parse_room(text: str) -> Place:
    """'slack:C0123' → the room C0123 on Slack; ValueError if it is not platform:room."""
    platform, colon, room = text.strip().partition(":")
    if not (platform and colon and room.strip()):
        raise ValueError(f"'{text}' is not platform:room, e.g. slack:C0123ABCD")
    return Place(platform.strip().lower(), room.strip())


def _matches(wanted: Iterable[str], *values: str) -> bool:
    keys = {w.strip().casefold() for w in wanted}
    return not keys or any(v.casefold() in keys for v in values if v)


def routed_rooms(facts: EventFacts, routes: Sequence[EventRoute]) -> list[Place]:
    """The rooms of every rule the event matches, each once, in the order configured.

    A rule's empty list matches anything; every list that is not empty must match.
    """
    rooms: list[Place] = []
    for rule in routes:
        if (
            _matches(rule.cameras, facts.serial, facts.camera)
            and _matches(rule.networks, facts.network_id, facts.network_name)
            and _matches(rule.types, facts.type)
        ):
            for room in rule.rooms:
                place = parse_room(room)
                if place not in rooms:
                    rooms.append(place)
    return rooms
