"""Clips end to end: the bot fetches footage from the simulator and posts the MP4 asked for."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import av

from bot.messages import Reply, Tone
from bot.store import Outcome
from simulator.media import decode_imager
from tests.bot_fixtures import (  # noqa: F401
    BotUnderTest,
    bot_fixture,
    bot_simulator_fixture,
    bot_starter_fixture,
    field_value,
    open_video,
    sent_ids,
    sha256_of,
    utc_ms,
)
from tests.db_fixtures import database_url_fixture  # noqa: F401

NEW_YORK = ZoneInfo("America/New_York")
AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def the_clip(replies: list[Reply]) -> Reply:
    clips = [r for r in replies if r.attachment is not None]
    assert len(clips) == 1, replies
    assert not any(r.failed for r in replies), replies
    return clips[0]


def past_range(zone: ZoneInfo, minutes: int) -> tuple[datetime, datetime]:
    """A whole-minute span of local wall-clock time about an hour ago, with no DST change
    inside it (so `minutes` on the wall clock is `minutes` of footage)."""
    now = datetime.now(UTC)
    for hours in (1, 2, 3, 4):
        start = (now - timedelta(hours=hours)).astimezone(zone).replace(second=0, microsecond=0)
        end = start + timedelta(minutes=minutes)
        if start.utcoffset() == end.utcoffset():
            return start, end
    raise AssertionError("no DST-free span in the last hours")


async def test_a_clip_ten_minutes_ago_is_an_mp4_of_exactly_that_span(bot: BotUnderTest) -> None:
    asked = datetime.now(UTC)
    replies = await bot.ask("clip lobby 10m ago 2m")
    answered = datetime.now(UTC)

    assert bot.outcomes == [Outcome.OK]
    clip = the_clip(replies)
    assert clip.tone is Tone.SUCCESS
    attachment = clip.attachment
    assert attachment is not None
    assert attachment.mime == "video/mp4" and attachment.filename.endswith(".mp4")
    video = open_video(attachment.path)
    assert "mp4" in video.format.split(",")
    assert abs(video.duration - 120) <= 1
    assert sha256_of(attachment.path) == field_value(clip, "SHA-256")

    # The footage starts when "10m ago" was said, and runs two minutes.
    assert utc_ms(asked) - 600_000 <= video.first_ms <= utc_ms(answered) - 600_000
    assert video.last_ms == video.first_ms + 120_000 - round(video.frame_ms)

    start = datetime.fromtimestamp(video.first_ms / 1000, UTC)
    end = start + timedelta(minutes=2)
    utc_text = field_value(clip, "UTC")
    assert f"{start:%Y-%m-%d %H:%M:%S}–" in utc_text and f"{end:%H:%M:%S} UTC" in utc_text
    local_start, local_end = start.astimezone(NEW_YORK), end.astimezone(NEW_YORK)
    assert local_end.tzname() in ("EST", "EDT")
    local_text = field_value(clip, "Local")
    # (the end's date shows too when the clip crosses midnight)
    assert f"{local_start:%H:%M:%S}–" in local_text
    assert local_text.endswith(f"{local_end:%H:%M:%S %Z}")
    assert local_text in clip.text
    assert "Lobby" in field_value(clip, "Camera")


async def test_a_quarter_hour_range_is_one_file_joined_from_three_requests(
    bot: BotUnderTest,
) -> None:
    start, end = past_range(AMSTERDAM, 15)
    replies = await bot.ask(f"clip warehouse {start:%H:%M}-{end:%H:%M}")

    assert bot.outcomes == [Outcome.OK]
    clip = the_clip(replies)
    clip_calls = bot.api_calls("/camera/clip")
    assert len(clip_calls) == 3
    assert all("Q2JV-WRHS-0004" in c.path and c.status == 200 for c in clip_calls)

    # One progress message, edited in place part by part, then the clip as a new message.
    posted, ids = bot.room.posted, sent_ids(bot.room.posted)
    new_messages = [p for p in posted if p.edit_of is None]
    assert [p.reply.tone for p in new_messages] == [Tone.PROGRESS, Tone.SUCCESS]
    progress_id = ids[posted.index(new_messages[0])]
    edits = [p.reply for p in posted if p.edit_of is not None]
    assert all(p.edit_of == progress_id for p in posted if p.edit_of is not None)
    assert [e.text[-3:] for e in edits] == ["1/3", "2/3", "3/3"]
    assert posted[-1].reply is clip

    attachment = clip.attachment
    assert attachment is not None and attachment.filename.endswith(".mp4")
    assert sha256_of(attachment.path) == field_value(clip, "SHA-256")
    part = 5 * 60 * 5  # frames in one five-minute part at the simulator's 5 fps
    video = open_video(attachment.path, around=(part, 2 * part))
    assert abs(video.duration - 900) <= 1
    assert video.frames == 3 * part
    assert video.first_ms == utc_ms(start)
    assert video.last_ms == utc_ms(end) - round(video.frame_ms)
    for join in (part, 2 * part):  # no frame lost or repeated where the parts meet
        assert video.stripes[join] - video.stripes[join - 1] == round(video.frame_ms)
    local_text = field_value(clip, "Local")
    assert f"{start:%H:%M:%S}–" in local_text and local_text.endswith(f"{end:%H:%M:%S %Z}")
    assert end.tzname() in ("CET", "CEST")


async def test_the_clip_buttons_fetch_what_they_say(bot: BotUnderTest) -> None:
    first = the_clip(await bot.ask("clip lobby 10m ago 1m"))
    assert first.attachment is not None
    start_ms = open_video(first.attachment.path).first_ms
    buttons = {b.label: b.command for b in first.buttons}

    earlier = the_clip(await bot.ask(buttons["30 s earlier"]))
    assert earlier.attachment is not None
    video = open_video(earlier.attachment.path)
    # Button commands carry milliseconds: exactly 30 s earlier.
    assert video.first_ms == start_ms - 30_000
    assert abs(video.duration - 60) <= 1

    (snapshot,) = await bot.ask(buttons["Snapshot"])
    assert snapshot.attachment is not None and snapshot.attachment.mime == "image/jpeg"
    assert bot.outcomes == [Outcome.OK] * 3


async def test_a_multi_imager_camera_gives_the_original_mpeg_ts_when_asked(
    bot: BotUnderTest,
) -> None:
    asked = datetime.now(UTC)
    clip = the_clip(await bot.ask("clip parking lot 10m ago 5s ts"))
    attachment = clip.attachment
    assert attachment is not None
    assert attachment.mime == "video/mp2t" and attachment.filename.endswith(".ts")
    assert sha256_of(attachment.path) == field_value(clip, "SHA-256")
    video = open_video(attachment.path)
    assert video.format == "mpegts"
    assert abs(video.first_ms - (utc_ms(asked) - 600_000)) < 5000
    assert video.last_ms == video.first_ms + 5000 - round(video.frame_ms)
    assert "Parking Lot" in field_value(clip, "Camera")


def stripe_imager(path: Path) -> int:
    with av.open(str(path)) as container:
        frame = next(container.decode(video=0)).to_ndarray(format="rgb24")
    return decode_imager(frame)


async def test_a_clip_of_one_imager_of_a_multi_imager_camera_names_it(bot: BotUnderTest) -> None:
    clip = the_clip(await bot.ask("clip parking lot imager 3 10m ago 5s"))
    attachment = clip.attachment
    assert attachment is not None
    assert stripe_imager(attachment.path) == 3
    assert clip.title == "Parking Lot imager 3 — clip"
    assert field_value(clip, "Camera").endswith(", imager 3")
    assert "imager3" in attachment.filename
    # Its "30 s earlier" keeps the imager.
    earlier = the_clip(await bot.ask({b.label: b.command for b in clip.buttons}["30 s earlier"]))
    assert earlier.attachment is not None and stripe_imager(earlier.attachment.path) == 3

    # Without an imager, the first one, as before.
    first = the_clip(await bot.ask("clip parking lot 10m ago 5s"))
    assert first.attachment is not None and stripe_imager(first.attachment.path) == 1
    assert "imager" not in (first.title or "")


async def test_an_imager_the_camera_does_not_have_is_explained(bot: BotUnderTest) -> None:
    (reply,) = await bot.ask("clip parking lot imager 7 10m ago 5s")
    assert reply.failed and "between 1 and 4" in reply.text
