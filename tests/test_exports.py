"""Exports end to end: the bot fetches a span in the background from the simulator, joins it
into one file, posts its checksum and a one-hour download link; list, cancel, delete, combine."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from bot.exports import ExportStatus
from bot.inflight import CommandJournal, Tracker
from bot.messages import Reply, Tone
from bot.store import Outcome
from bot.telemetry.metrics import Metrics
from bot.web import create_app
from bot.web.server import web_server
from simulator import Faults
from tests.bot_fixtures import (  # noqa: F401
    VIEWER,
    BotStarter,
    BotUnderTest,
    bot_simulator_fixture,
    bot_starter_fixture,
    field_value,
    open_video,
    sha256_of,
    utc_ms,
)
from tests.db_fixtures import database_url_fixture  # noqa: F401

OPERATORS: dict[str, Any] = {"default_role": "none", "viewers": ["U2"], "operators": [VIEWER]}
# Short parts keep the tests quick; a 5-minute part behaves the same, only slower.
SHORT_PARTS = {"part_length": "20s"}
WAIT = 60.0
NEW_YORK = ZoneInfo("America/New_York")  # Lobby's network


def exported(replies: list[Reply]) -> Reply:
    done = [r for r in replies if r.links and r.tone is Tone.SUCCESS]
    assert len(done) == 1, replies
    return done[0]


async def finish(bot: BotUnderTest, number: int) -> Reply:
    export = await bot.running.exports.wait(number, WAIT)
    assert export is not None and export.status is ExportStatus.DONE, export
    return await bot.room.wait_for(lambda r: r.title == f"Lobby — export #{number}", WAIT)


@asynccontextmanager
async def serving(bot: BotUnderTest) -> AsyncIterator[httpx.AsyncClient]:
    async def health() -> dict[str, str]:
        return {}

    app = create_app(metrics=Metrics(), health=health, routes=bot.running.exports.routes())
    async with web_server(app, "127.0.0.1", 0) as server, httpx.AsyncClient() as client:
        bot.running.exports.public_url = server.url
        yield client


async def test_an_export_is_one_file_of_exactly_the_span_with_a_link_for_an_hour(
    bot_starter: BotStarter,
) -> None:
    async with bot_starter(access=OPERATORS, exports=SHORT_PARTS) as bot, serving(bot) as http:
        asked = datetime.now(UTC)
        replies = await bot.ask("export lobby 10m ago 1m")
        answered = datetime.now(UTC)
        assert bot.outcomes == [Outcome.PENDING], replies
        (ack,) = [r for r in replies if r.tone is Tone.PENDING]
        assert ack.text.startswith("Export #1: *Lobby*") and "3 parts" in ack.text

        done = await finish(bot, 1)
        clip_calls = bot.api_calls("/camera/clip")
        assert len(clip_calls) == 3 and all(c.status == 200 for c in clip_calls)
        url = done.links[0].url
        path = bot.settings.store.data_dir / "exports" / url.rsplit("/", 1)[-1]
        assert sha256_of(path) == field_value(done, "SHA-256")
        part = 20 * 5  # frames in one 20-second part at the simulator's 5 fps
        video = open_video(path, around=(part, 2 * part))
        assert "mp4" in video.format.split(",") and abs(video.duration - 60) <= 1
        assert video.frames == 3 * part
        assert utc_ms(asked) - 600_000 <= video.first_ms <= utc_ms(answered) - 600_000
        assert video.last_ms == video.first_ms + 60_000 - round(video.frame_ms)
        for join in (part, 2 * part):
            assert video.stripes[join] - video.stripes[join - 1] == round(video.frame_ms)

        # Progress: one message edited in place, part by part, ending "done".
        progress = [p for p in bot.room.posted if p.reply.tone is Tone.PROGRESS]
        assert progress and progress[0].edit_of is None
        edits = [p.reply.text for p in bot.room.posted if p.edit_of == progress[0].id]
        assert any("1/3 parts, " in t and " left" in t for t in edits), edits
        assert edits[-1].endswith(": done.")

        # The link serves the very bytes, also a byte range of them, until the hour is up.
        whole = await http.get(url)
        assert whole.status_code == 200 and whole.content == path.read_bytes()
        assert whole.headers["accept-ranges"] == "bytes"
        ranged = await http.get(url, headers={"Range": "bytes=100-1099"})
        assert ranged.status_code == 206 and ranged.content == path.read_bytes()[100:1100]
        later = datetime.now(UTC) + timedelta(hours=1, seconds=5)
        bot.running.services.clock = lambda: later
        gone = await http.get(url)
        assert gone.status_code == 410

        # `exports` re-issues a fresh link, good for another hour.
        (listing,) = await bot.ask("exports")
        assert listing.table[1][:2] == ("1", "Lobby") and listing.table[1][4] == video_sha(path)
        assert listing.table[1][-1] == "done" and listing.table[1][5] == VIEWER
        fresh = await http.get(listing.links[0].url)
        assert fresh.status_code == 200 and fresh.content == path.read_bytes()


def video_sha(path: Path) -> str:
    return sha256_of(path)


async def test_spans_outside_five_seconds_to_twelve_hours_are_refused(
    bot_starter: BotStarter,
) -> None:
    async with bot_starter(access=OPERATORS) as bot:
        for ask in ("export lobby 10m ago 4s", "export lobby 13h ago 12h1m"):
            (reply,) = await bot.ask(ask)
            assert reply.tone is Tone.ERROR
            assert "minimum time allowed for a single export is 5 seconds" in reply.text
            assert "maximum is 12 hours" in reply.text
        (viewer,) = await bot.ask("export lobby 10m ago 1m", user="U2")
        assert viewer.tone is Tone.REFUSED and "operator" in viewer.text
        assert bot.outcomes == [Outcome.FAILED, Outcome.FAILED, Outcome.REFUSED]
        assert await bot.running.exports.store.with_status(*ExportStatus) == []
        assert bot.api_calls("/camera/clip") == []


async def test_combine_delete_schedule_cancel_and_sweep(bot_starter: BotStarter) -> None:
    access = {**OPERATORS, "operators": [VIEWER, "U3"]}
    async with bot_starter(access=access) as bot:
        await bot.ask("export lobby 20m ago 10s")
        first = await finish(bot, 1)
        await bot.ask("export lobby 10m ago 10s")
        second = await finish(bot, 2)
        folder = bot.settings.store.data_dir / "exports"

        # Two exports, one file: the first's frames, then the second's.
        (combined,) = await bot.ask("export combine 2 1")
        assert combined.tone is Tone.SUCCESS and combined.links, combined
        path = folder / combined.links[0].url.rsplit("/", 1)[-1]
        assert sha256_of(path) == field_value(combined, "SHA-256")
        parts = [open_video(folder / r.links[0].url.rsplit("/", 1)[-1]) for r in (first, second)]
        video = open_video(path, around=(parts[0].frames,))
        assert video.frames == parts[0].frames + parts[1].frames
        assert video.first_ms == parts[0].first_ms
        assert video.stripes[parts[0].frames] == parts[1].first_ms
        assert video.last_ms == parts[1].last_ms

        # Someone else may not delete it; its asker may: the file goes, the record stays.
        (refused,) = await bot.ask("export delete 1", user="U3")
        assert refused.tone is Tone.REFUSED
        first_file = folder / first.links[0].url.rsplit("/", 1)[-1]
        assert first_file.exists()
        (deleted,) = await bot.ask("export delete 1")
        assert deleted.tone is Tone.SUCCESS and not first_file.exists()
        (listing,) = await bot.ask("exports")
        assert [row[0] for row in listing.table[1:]] == ["3", "2"]

        # Scheduled for later: stored, listed as scheduled, and cancelled before it runs.
        at = (datetime.now(UTC) + timedelta(hours=2)).astimezone(NEW_YORK)
        (scheduled,) = await bot.ask(f"export lobby 10m ago 1m ts at {at:%H:%M}")
        assert scheduled.tone is Tone.PENDING and "is scheduled for" in scheduled.text
        assert bot.outcomes[-1] is Outcome.PENDING
        (listing,) = await bot.ask("exports")
        assert listing.table[1][0] == "4" and listing.table[1][-1].startswith("scheduled for")
        (cancelled,) = await bot.ask("export cancel 4")
        assert cancelled.tone is Tone.SUCCESS
        export = await bot.running.exports.store.get(4)
        assert export is not None and export.status is ExportStatus.CANCELLED
        assert "export-4" not in {
            job.job_id for job in await bot.running.services.scheduler.scheduled()
        }
        (again,) = await bot.ask("export cancel 4")
        assert again.tone is Tone.ERROR and "cancelled" in again.text

        # `ts` keeps MPEG-TS; an MP4 and a TS export are not combined into one file.
        await bot.ask("export lobby 15m ago 10s ts")
        await finish(bot, 5)
        ts_files = list(folder.glob("export5_*.ts"))
        assert len(ts_files) == 1 and open_video(ts_files[0]).format == "mpegts"
        (mixed,) = await bot.ask("export combine 2 5")
        assert mixed.tone is Tone.ERROR and "different formats" in mixed.text

        # After `[exports] keep` the files are swept; the rows keep camera, span and checksum.
        clips_before = len(bot.api_calls("/camera/clip"))
        later = datetime.now(UTC) + timedelta(days=31)
        bot.running.services.clock = lambda: later
        assert await bot.running.exports.sweep() == 3
        assert not any(folder.glob("export*"))
        kept = await bot.running.exports.store.get(2)
        assert kept is not None and kept.status is ExportStatus.EXPIRED
        assert kept.sha256 == field_value(second, "SHA-256")
        assert len(bot.api_calls("/camera/clip")) == clips_before


async def test_an_export_cancelled_while_it_runs_stops_and_posts_nothing(
    bot_starter: BotStarter,
) -> None:
    async with bot_starter(access=OPERATORS, exports=SHORT_PARTS) as bot:
        bot.simulator.state.faults = Faults(latency=0.5)  # holds the first part's request
        await bot.ask("export lobby 10m ago 1m")
        await asyncio.to_thread(bot.simulator.state.wait_delayed, bool, WAIT)
        (cancelled,) = [r for r in await bot.ask("export cancel 1") if r.tone is Tone.SUCCESS]
        assert cancelled.text == "Export #1 is cancelled."
        bot.simulator.state.faults = Faults()
        export = await bot.running.exports.store.get(1)
        assert export is not None and export.status is ExportStatus.CANCELLED
        assert not any((bot.settings.store.data_dir / "exports").iterdir())
        assert await bot.running.exports.store.parts_done(1) == set()
        edits = [p.reply.text for p in bot.room.posted if p.edit_of is not None]
        assert edits[-1].endswith(": cancelled.")
        assert not any(r.links for r in bot.room.replies)


async def test_a_command_run_again_after_a_restart_does_not_export_twice(
    bot_starter: BotStarter,
) -> None:
    async with bot_starter(access=OPERATORS) as bot:
        journal = CommandJournal(bot.store.engine)
        message = bot.room.message("export lobby 10m ago 10s")
        await journal.add("memory", "delivery-1", None, message)
        first = Tracker(journal, "memory", "delivery-1")
        assert await bot.running.bot.handle(message, first) is Outcome.PENDING
        (answer,) = [p.reply for p in bot.room.posted if p.answering is message]
        assert answer.text.startswith("Export #1: *Lobby* ")
        # The restart's run of the same stored command finds the export it stored, and its
        # answer, posted by the first run, is not posted again.
        again = Tracker(journal, "memory", "delivery-1", resumed=True)
        before = len(bot.room.posted)
        assert await bot.running.bot.handle(message, again) is Outcome.PENDING
        assert [p for p in bot.room.posted[before:] if p.answering is message] == []
        await finish(bot, 1)
        assert [e.id for e in await bot.running.exports.store.with_status(*ExportStatus)] == [1]
