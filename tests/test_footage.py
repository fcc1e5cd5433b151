"""Evidence: every delivered file is logged once; `verify` finds it, `footage log` lists it."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.console.render import render
from adapters.slack.blocks import mrkdwn
from adapters.webex.markdown import inline
from bot.messages import Mention, Reply, Tone
from bot.store import Outcome
from tests.bot_fixtures import (  # noqa: F401
    DEFAULT_ACCESS,
    BotStarter,
    BotUnderTest,
    bot_fixture,
    bot_simulator_fixture,
    bot_starter_fixture,
    field_value,
)
from tests.db_fixtures import database_url_fixture  # noqa: F401

ADMIN = "U7"
ADMINS = {**DEFAULT_ACCESS, "admins": [ADMIN]}
DELIVERY_DEADLINE = 30.0


def the_file(replies: list[Reply]) -> Reply:
    files = [r for r in replies if r.attachment is not None]
    assert len(files) == 1 and not any(r.failed for r in replies), replies
    return files[0]


async def test_verify_names_the_clip_its_checksum_belongs_to(bot: BotUnderTest) -> None:
    clip = the_file(await bot.ask("clip lobby 10m ago 30s", user="U1"))
    checksum = field_value(clip, "SHA-256")

    answer = (await bot.ask(f"verify {checksum.upper()}"))[-1]

    assert answer.tone is Tone.SUCCESS, answer
    assert answer.text.startswith("Identical to the clip of *Lobby* ")
    # The span as the clip's own reply showed it, in the camera's zone.
    assert field_value(clip, "Local") in answer.text
    assert "delivered in #R1 on " in answer.text and answer.text.endswith("to @U1.")
    # The room and the asker as mvbot recorded them, for the platform to draw as mentions.
    assert {(m.kind, m.id, m.platform) for m in answer.mentions} == {
        ("room", "R1", "memory"),
        ("person", "U1", "memory"),
    }
    assert len((await bot.ask(f"verify {checksum}"))[-1].text.split("\n")) == 1  # once


async def test_verify_says_plainly_when_nothing_matches_and_refuses_other_words(
    bot: BotUnderTest,
) -> None:
    nothing = (await bot.ask("verify " + "ab" * 32))[-1]
    assert nothing.tone is Tone.WARNING
    assert nothing.text.startswith("No file that mvbot delivered has this checksum")

    for hostile in ("zz" * 32, "ab" * 33, "/etc/passwd", "`*<@U1>*`"):
        answer = (await bot.ask(f"verify {hostile}"))[-1]
        assert answer.failed and "is not a SHA-256 checksum (64 hex digits)" in answer.text
    # Echoed as literal words: their `*` cannot open bold, their backticks no code span.
    assert "''\\*<@U1>\\*''" in answer.text
    assert (await bot.ask("verify"))[-1].failed
    assert not await bot.running.services.footage.recent()


async def test_console_verify_checksums_a_local_file_and_refuses_a_huge_one(
    bot_starter: BotStarter, tmp_path: Path
) -> None:
    async with bot_starter(platform="console", clips={"verify_max_size": 5_000_000}) as bot:
        clip = the_file(await bot.ask("clip lobby 10m ago 10s"))
        assert clip.attachment is not None
        copy = tmp_path / "copy.mp4"
        copy.write_bytes(clip.attachment.path.read_bytes())

        answer = (await bot.ask(f"verify {copy}"))[-1]
        assert answer.text.startswith("Identical to the clip of *Lobby* "), answer

        copy.write_bytes(copy.read_bytes() + b"\0")  # one byte more: another file
        assert (await bot.ask(f"verify {copy}"))[-1].text.startswith("No file that mvbot")

        huge = tmp_path / "huge.mp4"
        with huge.open("wb") as file:
            file.truncate(6_000_000)
        refused = (await bot.ask(f"verify {huge}"))[-1]
        assert refused.failed and "over the 5.0 MB that verify checks" in refused.text
        missing = (await bot.ask(f"verify {tmp_path / 'nothing.mp4'}"))[-1]
        assert (
            missing.failed
            and "is neither a SHA-256 checksum (64 hex digits) nor a file" in missing.text
        )


async def test_footage_log_lists_clips_and_snapshots_with_their_askers_for_admins_only(
    bot_starter: BotStarter,
) -> None:
    async with bot_starter(access=ADMINS) as bot:
        the_file(await bot.ask("clip lobby 10m ago 30s", user="U1"))
        the_file(await bot.ask("snapshot warehouse 20m ago", user=ADMIN))
        the_file(await bot.ask("snapshot lobby 15m ago", user=ADMIN))

        refused = await bot.ask("footage log", user="U1")
        assert bot.outcomes[-1] is Outcome.REFUSED, refused

        log = (await bot.ask("footage log", user=ADMIN))[-1]
        assert not log.failed, log
        header, *rows = log.table
        assert header[:3] == ("Delivered", "What", "Camera") and header[5] == "To"
        # Newest first.
        assert [(r[1].split()[0], r[2], r[5]) for r in rows] == [
            ("snapshot", "Lobby", ADMIN),
            ("snapshot", "Warehouse", ADMIN),
            ("clip", "Lobby", "U1"),
        ]

        lobby = (await bot.ask("footage log lobby since 1h ago", user=ADMIN))[-1]
        assert [r[2] for r in lobby.table[1:]] == ["Lobby", "Lobby"]
        warehouse = (await bot.ask("footage log warehouse", user=ADMIN))[-1]
        assert [r[2] for r in warehouse.table[1:]] == ["Warehouse"]

        # Several cameras in one ask: each camera's clip, in the summary's thread.
        await bot.ask("clip lobby, warehouse 10m ago 5s", user="U1")
        both = await bot.running.services.footage.recent(limit=2)
        assert sorted(f.camera for f in both) == ["Lobby", "Warehouse"]
        assert all(f.place.thread_id and f.asker.id == "U1" for f in both)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_deferred_clip_is_logged_once_when_it_is_posted(bot: BotUnderTest) -> None:
    replies = await bot.ask("clip lobby 6s ago 1s", user="U1")
    assert bot.outcomes == [Outcome.PENDING], replies
    clip = await bot.room.wait_for(lambda r: r.attachment is not None, DELIVERY_DEADLINE)
    assert await bot.running.pending.wait_idle(DELIVERY_DEADLINE)

    logged = await bot.running.services.footage.matching(field_value(clip, "SHA-256"))
    assert [(f.kind, f.camera, f.asker.id, f.place.room_id) for f in logged] == [
        ("clip", "Lobby", "U1", "R1")
    ]
    # The same delivery again (a post repeated after a crash) adds nothing.
    key = f"clip-{(await bot.store.jobs(kind='clip'))[0].id}"
    assert not await bot.running.services.footage.record(key, logged[0])
    assert len(await bot.running.services.footage.matching(logged[0].sha256)) == 1


def test_only_mentions_mvbot_recorded_on_the_same_platform_are_drawn() -> None:
    room = Mention("#C1", "slack", "room", "C1")
    person = Mention("@ann", "slack", "person", "U1")
    text = "delivered in #C1 to @ann"
    assert mrkdwn(text, mentions=(room, person)) == "delivered in <#C1> to <@U1>"
    # Another platform's ids, or an id that is not one, are only their labels.
    hostile = Mention("@x", "slack", "person", "U1><!channel")
    assert mrkdwn("to @x", mentions=(hostile,)) == "to @x"
    assert "<" not in inline(text, mentions=(room, person))
    webex = Mention("@Ann", "webex", "person", "Y2lzY29zcGFyazovL3Vz")
    assert inline("to @Ann", mentions=(webex,)) == "to <@personId:Y2lzY29zcGFyazovL3Vz|Ann>"
    assert render(Reply(text, mentions=(room, person))) == text
