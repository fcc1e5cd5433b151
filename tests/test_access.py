from bot.access import AccessPolicy, Role
from bot.messages import Person, Place

ALICE = Person("slack", "U1", email="Alice@Example.com")
ROOM = Place("slack", "C1")


def test_default_role_applies_to_people_no_rule_names() -> None:
    assert AccessPolicy().role_of(ALICE, ROOM) is Role.NONE
    assert AccessPolicy(default_role=Role.VIEWER).role_of(ALICE, ROOM) is Role.VIEWER


def test_highest_of_person_email_domain_and_room_wins() -> None:
    policy = AccessPolicy(
        people={"alice@example.com": Role.OPERATOR},
        domains={"example.com": Role.VIEWER},
        rooms={"C1": Role.ADMIN},
    )
    assert policy.role_of(ALICE, ROOM) is Role.ADMIN
    assert policy.role_of(ALICE, Place("slack", "C2")) is Role.OPERATOR
    bob = Person("slack", "U2", email="bob@example.com")
    assert policy.role_of(bob, Place("slack", "C2")) is Role.VIEWER


def test_person_matched_by_platform_id() -> None:
    policy = AccessPolicy(people={"u1": Role.ADMIN})
    assert policy.role_of(ALICE, ROOM) is Role.ADMIN


def test_restricted_tag_visible_only_in_listed_rooms() -> None:
    policy = AccessPolicy(tag_rooms={"restricted": frozenset({"SEC"})})
    assert policy.may_see(("Restricted", "hq"), Place("slack", "SEC"))
    assert not policy.may_see(("restricted",), ROOM)
    assert policy.may_see(("hq",), ROOM)


def test_role_parse_names_the_choices() -> None:
    assert Role.parse(" Operator ") is Role.OPERATOR
    try:
        Role.parse("boss")
    except ValueError as error:
        assert "viewer" in str(error)
    else:
        raise AssertionError("an unknown role must be refused")
