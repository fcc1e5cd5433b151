"""Footage still on its way to the cloud: the bot promises a time, then posts the clip, even
across a restart, exactly once."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.messages import Reply, Tone
from bot.store import AuditEntry, AuditRecord, Outcome
from tests.bot_fixtures import (  # noqa: F401
    SIMULATOR_SETTINGS,
    BotStarter,
    BotUnderTest,
    SimulatorFactory,
    bot_fixture,
    bot_simulator_fixture,
    bot_starter_fixture,
    field_value,
    open_video,
    sha256_of,
    utc_ms,
)
from tests.db_fixtures import database_url_fixture  # noqa: F401

NEW_YORK = ZoneInfo("America/New_York")
DELIVERY_DEADLINE = 60.0  # seconds; a deferred clip here is due 1–9 s after it is asked for


def has_clip(reply: Reply) -> bool:
    return reply.attachment is not None


def seconds_of_day(clock: str) -> int:
    hours, minutes, seconds = (int(part) for part in clock.split(":"))
    return hours * 3600 + minutes * 60 + seconds


# The wait is the point of this test and costs 9 s, so it runs on one backend; the restart
# test below covers deferral on every backend.
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_footage_not_yet_in_the_cloud_is_promised_then_posted(bot: BotUnderTest) -> None:
    asked = datetime.now(UTC)
    replies = await bot.ask("clip lobby now 1s")
    answered = datetime.now(UTC)

    assert bot.outcomes == [Outcome.PENDING]
    assert [r.tone for r in replies] == [Tone.PENDING]
    promise = re.search(r"will be ready at about (\d\d:\d\d:\d\d) (E[SD]T)", replies[0].text)
    assert promise is not None, replies[0].text
    # The promised time is in the camera's zone, later than now and not far off.
    now_local = asked.astimezone(NEW_YORK)
    assert promise.group(2) == now_local.tzname()
    ahead = (seconds_of_day(promise.group(1)) - seconds_of_day(f"{now_local:%H:%M:%S}")) % 86400
    assert 2 <= ahead <= 60
    assert (await bot.last_audit()).outcome is Outcome.PENDING

    clip = await bot.room.wait_for(has_clip, DELIVERY_DEADLINE)
    assert await bot.running.pending.wait_idle(DELIVERY_DEADLINE)
    assert [r.tone for r in bot.room.replies] == [Tone.PENDING, Tone.SUCCESS]
    assert clip.attachment is not None
    video = open_video(clip.attachment.path)
    assert utc_ms(asked) <= video.first_ms <= utc_ms(answered)
    assert abs(video.duration - 1) <= 1
    assert sha256_of(clip.attachment.path) == field_value(clip, "SHA-256")


async def test_a_promised_clip_survives_a_restart_and_comes_exactly_once(
    bot_starter: BotStarter,
) -> None:
    asked = datetime.now(UTC)
    async with bot_starter() as before:
        replies = await before.ask("clip lobby 6s ago 3s")
        assert before.outcomes == [Outcome.PENDING]
        assert "will be ready at about" in replies[0].text
    # Shut down before the clip was due (about 5 s after it was asked for).
    assert not any(has_clip(r) for r in before.room.replies)

    async with bot_starter() as after:
        clip = await after.room.wait_for(has_clip, DELIVERY_DEADLINE)
        assert await after.running.pending.wait_idle(DELIVERY_DEADLINE)
        assert await after.running.services.scheduler.scheduled() == []
        assert [r for r in after.room.replies if has_clip(r)] == [clip]
        assert not any(r.failed for r in after.room.replies)
        jobs = await after.store.jobs(kind="clip")
        assert [job.status.value for job in jobs] == ["done"]
    assert clip.attachment is not None
    video = open_video(clip.attachment.path)
    assert abs(video.first_ms - (utc_ms(asked) - 6000)) < 5000
    assert abs(video.duration - 3) <= 1
    assert sha256_of(clip.attachment.path) == field_value(clip, "SHA-256")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_delivery_is_audited_before_the_bot_counts_it_as_done(
    bot: BotUnderTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, pending = bot.store, bot.running.pending
    still_owed: list[int] = []
    write_audit = store.add_audit

    async def watched(entry: AuditEntry) -> AuditRecord:
        if entry.outcome == Outcome.DELIVERED:
            still_owed.append(await pending.unfinished())
        return await write_audit(entry)

    monkeypatch.setattr(store, "add_audit", watched)
    await bot.ask("clip lobby 9s ago 3s")  # due about 2 s from now
    await bot.room.wait_for(has_clip, DELIVERY_DEADLINE)
    assert await pending.wait_idle(DELIVERY_DEADLINE)
    # While the delivery is being audited, wait_idle() must still see the job as owed.
    assert still_owed == [1]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_clip_the_bot_gives_up_waiting_for_is_told_and_audited(
    bot_starter: BotStarter, simulator_factory: SimulatorFactory
) -> None:
    # The cloud lags far more than the bot expects, and the bot waits at most 1 s past asking.
    slow_cloud = simulator_factory(**{**SIMULATOR_SETTINGS, "availability_lag": 30.0})
    clips = {"availability_lag": "0s", "ready_deadline": "1s"}
    async with bot_starter(clips=clips, simulator=slow_cloud) as bot:
        await bot.ask("clip lobby 7s ago 3s")  # due about 1 s from now
        assert bot.outcomes == [Outcome.PENDING]
        notice = await bot.room.wait_for(lambda r: r.failed, DELIVERY_DEADLINE)
        assert "gave up waiting" in notice.text and "Lobby" in notice.text
        assert await bot.running.pending.wait_idle(DELIVERY_DEADLINE)
        assert not any(has_clip(r) for r in bot.room.replies)
        failed = await bot.store.audit_rows(outcome=Outcome.FAILED, action="clip")
        assert len(failed) == 1 and failed[0].person_id == "U1"
