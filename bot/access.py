"""Who may do what, and where: roles for people and rooms, and camera tags restricted to rooms."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import IntEnum

from bot.messages import Person, Place


class Role(IntEnum):
    """Each role includes everything the roles below it may do."""

    NONE = 0
    VIEWER = 1  # clips, snapshots, cameras, occupancy
    OPERATOR = 2  # + shares and watches
    ADMIN = 3  # everything

    @classmethod
    def parse(cls, text: str) -> Role:
        try:
            return cls[text.strip().upper()]
        except KeyError:
            names = ", ".join(r.name.lower() for r in cls)
            raise ValueError(f"unknown role {text!r} (one of {names})") from None

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(frozen=True)
class AccessPolicy:
    """The access rules, resolved from configuration.

    A person's role is the highest of: their own entry (by platform id or email), their
    email domain's, the room's, and the default role. Cameras carrying a restricted tag
    are visible only in the rooms listed for that tag.
    """

    default_role: Role = Role.NONE
    people: Mapping[str, Role] = field(default_factory=dict)  # platform id or email, lower case
    domains: Mapping[str, Role] = field(default_factory=dict)  # "example.com"
    rooms: Mapping[str, Role] = field(default_factory=dict)  # room id
    tag_rooms: Mapping[str, frozenset[str]] = field(default_factory=dict)  # tag -> room ids

    def role_of(self, person: Person, place: Place) -> Role:
        candidates = [self.default_role, self.rooms.get(place.room_id, Role.NONE)]
        candidates.append(self.people.get(person.id.lower(), Role.NONE))
        if person.email:
            email = person.email.lower()
            candidates.append(self.people.get(email, Role.NONE))
            candidates.append(self.domains.get(email.rpartition("@")[2], Role.NONE))
        return max(candidates)

    def may_see(self, tags: Iterable[str], place: Place) -> bool:
        """Whether a camera with these tags may be shown in this place."""
        for tag in tags:
            allowed = self.tag_rooms.get(tag.lower())
            if allowed is not None and place.room_id not in allowed:
                return False
        return True
