"""`occupancy` end to end: the real bot, a MemoryAdapter room and the simulated cloud over HTTP."""

from __future__ import annotations

import asyncio
import csv
from datetime import UTC, datetime, timedelta

from PIL import Image

from bot.messages import Reply, Tone
from simulator import SimulatorServer
from tests.bot_fixtures import bot_simulator_fixture  # noqa: F401
from tests.db_fixtures import database_url_fixture  # noqa: F401
from tests.occupancy_fixtures import (  # noqa: F401
    LOBBY,
    OPERATOR,
    WAREHOUSE,
    OccupancyStart,
    busy_simulator_fixture,
    occupancy_of,
    occupancy_start_fixture,
    table_counts,
    truth_live,
    truth_minutes,
    utc_of,
    zone_labels,
)


def only(replies: list[Reply]) -> Reply:
    assert len(replies) == 1, replies
    return replies[0]


async def test_live_counts_come_from_rest_when_mqtt_is_not_configured(
    occupancy_start: OccupancyStart, busy_simulator: SimulatorServer
) -> None:
    async with occupancy_start(simulator=busy_simulator) as bot:
        reply = only(await bot.ask("occupancy warehouse"))
        moment = utc_of(reply).timestamp()
        truth = truth_live(bot.simulator, WAREHOUSE, moment)
        labels = zone_labels(bot.simulator, WAREHOUSE)
        assert truth["0"]["person"] > 0  # a busy moment, so the comparison means something
        assert table_counts(reply) == {labels[z]: c["person"] for z, c in truth.items()}
        assert reply.text.startswith(f"*Warehouse*: *{truth['0']['person']} people* in view")
        assert "from the Dashboard API — MQTT is not configured" in reply.context[0]
        shown = reply.text + str(reply.table) + " ".join(reply.context)
        assert not any(zone_id in shown for zone_id in labels if zone_id != "0")

        preview = await bot.running.bot.preview(bot.room.message("occupancy warehouse 8h"))
        assert preview == "Fetching *Warehouse* occupancy history and drawing the chart…"

        zone = only(await bot.ask("occupancy warehouse zone aisle 3"))
        assert list(table_counts(zone)) == ["Aisle 3"]
        assert zone.text.startswith("*Warehouse* · Aisle 3:")


async def test_a_day_of_history_is_a_chart_and_the_simulators_minutes_as_csv(
    occupancy_start: OccupancyStart,
) -> None:
    async with occupancy_start() as bot:
        replies = await bot.ask("occupancy warehouse 24h csv")
        assert [r.tone for r in replies] == [Tone.INFO, Tone.INFO]
        summary, table = replies
        chart = summary.attachment
        assert chart is not None and chart.mime == "image/png"
        with Image.open(chart.path) as image:
            image.verify()
        with Image.open(chart.path) as image:
            assert image.format == "PNG"
            assert image.size == (960, 540)  # legible as a chat thumbnail when scaled down
        assert [row[0] for row in summary.table] == ["Zone", "Full Frame", "Dock Doors", "Aisle 3"]
        assert [f.label for f in summary.fields] == ["Dock Area (area)", "Dock Door Line (line)"]

        assert table.attachment is not None and table.attachment.mime == "text/csv"
        with table.attachment.path.open(newline="", encoding="utf-8") as file:
            rows = list(csv.DictReader(file))
        zone_rows = [r for r in rows if r["kind"] == "zone"]
        start = datetime.fromisoformat(zone_rows[0]["start_utc"].replace("Z", "+00:00"))
        end = start + timedelta(hours=24)
        assert rows[-1]["kind"] in ("area", "line")
        for zone_id, label in zone_labels(bot.simulator, WAREHOUSE).items():
            mine = [r for r in zone_rows if r["name"] == label]
            truth = truth_minutes(bot.simulator, WAREHOUSE, zone_id, start, end)
            assert len(mine) == len(truth) == 24 * 60
            assert [
                (r["start_utc"], float(r["average_count"]), int(r["entrances"])) for r in mine
            ] == [
                (
                    datetime.fromtimestamp(m.start, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                    m.average_count,
                    m.entrances,
                )
                for m in truth
            ]
        # 14 h per request: 2 per zone, 3 zones (the whole frame included).
        history = [r for r in bot.api_calls("/analytics/zones/") if r.path.endswith("/history")]
        assert len(history) == 6 and all(r.status == 200 for r in history)
        assert len(bot.api_calls("/detections/history")) == 1


async def test_rooms_asking_at_once_share_one_fetch(occupancy_start: OccupancyStart) -> None:
    async with occupancy_start() as bot:
        asks = [
            bot.running.bot.handle(bot.room.message("occupancy lobby yesterday", room=room))
            for room in ("R1", "R2", "R3")
        ]
        await asyncio.gather(*asks)
        charts = [p for p in bot.room.posted if p.reply.attachment is not None]
        assert sorted(p.place.room_id for p in charts) == ["R1", "R2", "R3"]
        await bot.ask("occupancy lobby yesterday", room="R4")  # answered from the cache
        history = [r for r in bot.api_calls("/analytics/zones/") if r.path.endswith("/history")]
        assert len(history) == 4  # 2 zones x 2 requests for a day, once for four rooms


async def test_mistakes_get_a_clear_sentence_and_cost_no_history(
    occupancy_start: OccupancyStart,
) -> None:
    async with occupancy_start() as bot:
        expected = {
            "occupancy warehuose": "Camera 'warehuose' not found — did you mean Warehouse",
            "occupancy garage entrance": "Garage Entrance does not have MV Sense enabled, so it "
            "has no occupancy counts. Cameras with Sense here: Lobby, Warehouse.",
            "occupancy warehouse zone roof": "Warehouse has no zone 'roof' — its zones are "
            "Full Frame, Dock Doors and Aisle 3.",
            "occupancy warehouse zone roof today": "Warehouse has no zone 'roof'",
            "occupancy warehouse 30d": "That is 30 days; occupancy covers up to 7 days at a time",
            "occupancy warehouse 25:00": "'25:00' is not a time of day",
            "occupancy lobby tomorrow 9am-5pm": "That window has not started yet",
        }
        for text, sentence in expected.items():
            reply = only(await bot.ask(text))
            assert reply.tone is Tone.ERROR, text
            assert sentence in reply.text, (text, reply.text)
        assert not bot.api_calls("/history")


async def test_all_lists_sense_cameras_busiest_first(occupancy_start: OccupancyStart) -> None:
    async with occupancy_start() as bot:
        live = occupancy_of(bot).live
        live.configured = True  # as if the MQTT ingest fed it: counts are driven by hand
        ms = int(datetime.now(UTC).timestamp() * 1000)
        lobby_zones = list(zone_labels(bot.simulator, LOBBY))
        warehouse_zones = list(zone_labels(bot.simulator, WAREHOUSE))

        def counts(serial: str, zones: list[str], people: list[int], at: int) -> None:
            for zone_id, n in zip(zones, people, strict=True):
                live.update(serial, zone_id, at, {"person": n})

        counts(LOBBY, lobby_zones, [3, 1], ms)
        counts(WAREHOUSE, warehouse_zones, [9, 4, 5], ms)
        table = only(await bot.ask("occupancy all")).table
        assert [row[:3] for row in table[1:]] == [
            ("Warehouse", "9", "Aisle 3 (5)"),
            ("Lobby", "3", "Reception Desk (1)"),
        ]
        counts(LOBBY, lobby_zones, [12, 7], ms + 1000)
        reply = only(await bot.ask("occupancy all"))
        assert [row[0] for row in reply.table[1:]] == ["Lobby", "Warehouse"]
        assert reply.text == "2 Sense cameras, 21 people in view"
        assert not bot.api_calls("/analytics/live")  # MQTT was fresh: no REST call


async def test_alerts_need_an_operator_and_are_kept_across_restarts(
    occupancy_start: OccupancyStart,
) -> None:
    async with occupancy_start() as bot:
        refused = only(await bot.ask("occupancy alert lobby above 3"))
        assert refused.tone is Tone.REFUSED and "operator role" in refused.text
        made = only(await bot.ask("occupancy alert lobby zone reception above 3", user=OPERATOR))
        assert made.tone is Tone.SUCCESS
        assert "*Lobby* · Reception Desk has more than 3 people" in made.text
        again = only(await bot.ask("occupancy alert lobby zone reception above 3", user=OPERATOR))
        assert "already exists" in again.text
    async with occupancy_start() as bot:
        listed = only(await bot.ask("occupancy alerts"))
        assert "#1 *Lobby* · Reception Desk above 3 (armed)" in listed.text
        assert "No occupancy alerts" in only(await bot.ask("occupancy alerts", room="R2")).text
        assert (
            "No alert #1 in this room"
            in only(await bot.ask("occupancy alert off 1", user=OPERATOR, room="R2")).text
        )
        gone = only(await bot.ask("occupancy alert off lobby", user=OPERATOR))
        assert gone.text == "Removed alert #1: Lobby · Reception Desk above 3."
        assert "No occupancy alerts" in only(await bot.ask("occupancy alerts")).text
