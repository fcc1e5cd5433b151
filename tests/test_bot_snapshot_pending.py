"""A snapshot of a moment the cloud does not have yet is promised, stored, then posted — even
across a restart, exactly once — instead of "try again in a minute"."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import numpy as np
from PIL import Image

from bot.messages import Reply, Tone
from bot.store import Outcome
from simulator.media import decode_stripe
from tests.bot_fixtures import (  # noqa: F401
    BotStarter,
    BotUnderTest,
    bot_fixture,
    bot_simulator_fixture,
    bot_starter_fixture,
    utc_ms,
)
from tests.db_fixtures import database_url_fixture  # noqa: F401

DELIVERY_DEADLINE = 60.0  # seconds; a deferred snapshot here is due about 6 s after asking


def has_image(reply: Reply) -> bool:
    return reply.attachment is not None and reply.attachment.mime == "image/jpeg"


def stripe_ms(reply: Reply) -> int:
    assert reply.attachment is not None
    image = Image.open(io.BytesIO(reply.attachment.path.read_bytes())).convert("RGB")
    return decode_stripe(np.asarray(image))


async def test_a_snapshot_of_seconds_ago_is_promised_then_posted(bot: BotUnderTest) -> None:
    asked = datetime.now(UTC)
    (promise,) = await bot.ask("snapshot lobby 2s ago")
    answered = datetime.now(UTC)

    assert bot.outcomes == [Outcome.PENDING]
    assert promise.tone is Tone.PENDING and "will be ready at about" in promise.text
    assert "I'll post it here" in promise.text
    # Stored before the promise was made.
    (job,) = await bot.store.jobs(kind="snapshot")
    assert job.status.value in ("pending", "running", "done")

    snapshot = await bot.room.wait_for(has_image, DELIVERY_DEADLINE)
    assert await bot.running.pending.wait_idle(DELIVERY_DEADLINE)
    assert [r.tone for r in bot.room.replies] == [Tone.PENDING, Tone.SUCCESS]
    assert "Lobby" in snapshot.text
    # The picture is of the moment asked for, not of when it was posted.
    assert utc_ms(asked) - 2000 - 1000 <= stripe_ms(snapshot) <= utc_ms(answered) - 2000 + 1000
    delivered = await bot.store.audit_rows(outcome=Outcome.DELIVERED, action="snapshot")
    assert len(delivered) == 1 and delivered[0].person_id == "U1"


async def test_a_promised_snapshot_survives_a_restart_and_comes_exactly_once(
    bot_starter: BotStarter,
) -> None:
    asked = datetime.now(UTC)
    async with bot_starter() as before:
        await before.ask("snapshot lobby 1s ago")
        assert before.outcomes == [Outcome.PENDING]
    assert not any(has_image(r) for r in before.room.replies)

    async with bot_starter() as after:
        snapshot = await after.room.wait_for(has_image, DELIVERY_DEADLINE)
        assert await after.running.pending.wait_idle(DELIVERY_DEADLINE)
        assert [r for r in after.room.replies if has_image(r)] == [snapshot]
        jobs = await after.store.jobs(kind="snapshot")
        assert [job.status.value for job in jobs] == ["done"]
    assert abs(stripe_ms(snapshot) - (utc_ms(asked) - 1000)) < 3000


async def test_a_snapshot_posted_just_before_a_crash_is_not_posted_again(
    bot_starter: BotStarter,
) -> None:
    async with bot_starter() as before:
        await before.ask("snapshot lobby 1s ago")
        await before.room.wait_for(has_image, DELIVERY_DEADLINE)
        assert await before.running.pending.wait_idle(DELIVERY_DEADLINE)
        (job,) = await before.store.jobs(kind="snapshot")
        # The crash came after the post and before the job was marked done.
        await before.store.update_job(job.id, status="running")

    async with bot_starter() as after:
        assert await after.running.pending.wait_idle(DELIVERY_DEADLINE)
        assert [r for r in after.room.replies if has_image(r)] == []
        assert [j.status.value for j in await after.store.jobs(kind="snapshot")] == ["done"]


async def test_a_snapshot_now_is_still_taken_at_once(bot: BotUnderTest) -> None:
    (snapshot,) = await bot.ask("snapshot lobby")
    assert has_image(snapshot) and bot.outcomes == [Outcome.OK]
    assert await bot.store.jobs(kind="snapshot") == []
