"""Who may do what, where: roles by id, e-mail, domain and room; cameras kept to some rooms."""

from __future__ import annotations

from bot.messages import Tone
from bot.store import Outcome
from tests.bot_fixtures import (  # noqa: F401
    DEFAULT_ACCESS,
    ROOM,
    SECURE_ROOM,
    STRANGER,
    BotStarter,
    BotUnderTest,
    bot_fixture,
    bot_simulator_fixture,
    bot_starter_fixture,
    field_value,
)
from tests.db_fixtures import database_url_fixture  # noqa: F401


async def test_a_viewer_known_by_email_gets_a_clip(bot: BotUnderTest) -> None:
    replies = await bot.ask("clip lobby 10m ago 5s", user="U7", email="Viewer@Example.com")
    assert bot.outcomes == [Outcome.OK]
    clip = replies[-1]
    assert clip.tone is Tone.SUCCESS and clip.attachment is not None
    assert clip.attachment.path.stat().st_size > 0
    row = await bot.last_audit()
    assert (row.person_id, row.person_email, row.outcome) == ("U7", "Viewer@Example.com", "ok")

    # The same person on an account without that address has no role.
    (refused,) = await bot.ask("clip lobby 10m ago 5s", user="U7")
    assert refused.tone is Tone.REFUSED and "needs the viewer role" in refused.text


async def test_help_answers_someone_with_no_role(bot: BotUnderTest) -> None:
    (answer,) = await bot.ask("help", user=STRANGER)
    assert not answer.failed
    assert "`clip <camera> <when>" in answer.text
    (refused,) = await bot.ask("cameras", user=STRANGER)
    assert refused.tone is Tone.REFUSED
    assert bot.outcomes == [Outcome.OK, Outcome.REFUSED]
    rows = await bot.store.audit_rows(person=STRANGER)
    assert [(r.action, r.outcome) for r in rows] == [("cameras", "refused"), ("help", "ok")]


async def test_rooms_and_email_domains_grant_roles(bot_starter: BotStarter) -> None:
    access = {**DEFAULT_ACCESS, "rooms": {"R-ops": "viewer"}, "domains": {"example.org": "viewer"}}
    async with bot_starter(access=access) as bot:
        (in_room,) = await bot.ask("cameras", user=STRANGER, room="R-ops")
        (by_domain,) = await bot.ask("cameras", user=STRANGER, email="ann@Example.org")
        (elsewhere,) = await bot.ask("cameras", user=STRANGER, email="ann@example.net")
    assert bot.outcomes == [Outcome.OK, Outcome.OK, Outcome.REFUSED]
    assert in_room.table and by_domain.table and not elsewhere.table


async def test_a_restricted_camera_shows_only_in_its_rooms(bot: BotUnderTest) -> None:
    (public,) = await bot.ask("cameras", room=ROOM)
    (secure,) = await bot.ask("cameras", room=SECURE_ROOM)
    public_names = {row[0] for row in public.table[1:]}
    secure_names = {row[0] for row in secure.table[1:]}
    assert "Server Room" not in public_names and public.text.startswith("5 cameras")
    assert secure_names == public_names | {"Server Room"}

    (allowed,) = await bot.ask("snapshot server room", room=SECURE_ROOM)
    assert allowed.attachment is not None
    assert "Q2HV-SRVR-0003" in field_value(allowed, "Camera")
    (refused,) = await bot.ask("snapshot server room", room=ROOM)
    assert refused.tone is Tone.REFUSED and refused.attachment is None
    assert bot.outcomes == [Outcome.OK, Outcome.OK, Outcome.OK, Outcome.REFUSED]


async def test_a_typo_does_not_reveal_a_restricted_camera(bot: BotUnderTest) -> None:
    (answer,) = await bot.ask("clip servr room 10m ago", room=ROOM)
    assert answer.failed
    assert "Server Room" not in answer.text and "Q2HV" not in answer.text
