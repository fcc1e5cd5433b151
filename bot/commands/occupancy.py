"""`occupancy <camera>|all [zone <name>] [<window>] [csv]` and alerts: help and handlers."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.access import Role
from bot.cameras.directory import CameraRecord
from bot.commands.common import find_camera, spoken_zone
from bot.commands.occupancy_grammar import AddAlert, ListAlerts, Query, RemoveAlert, parse_occupancy
from bot.errors import Refused, UserError
from bot.grammar.formatting import duration
from bot.grammar.usage import CAMERA_FORMS_HELP, CommandHelp
from bot.meraki import MerakiError, Priority
from bot.meraki.explain import explain
from bot.messages import Reply, Tone
from bot.occupancy.report import (
    alert_text,
    alerts_reply,
    all_reply,
    history_files,
    history_reply,
    live_reply,
    window_length,
)
from bot.occupancy.service import LiveView, Occupancy
from bot.occupancy.threshold_store import AlertRule
from bot.occupancy.window import WINDOW_FORMS_HELP, Window, resolve_window
from bot.occupancy.zones import FULL_FRAME, find_region
from bot.router import Command
from bot.store import Outcome

if TYPE_CHECKING:
    from bot.router import Request

OCCUPANCY_HELP = CommandHelp(
    name="occupancy",
    usage="occupancy <camera>|all [zone <name>] [<window>] [csv]",
    summary="People in view now, or over a window with a chart; threshold alerts.",
    examples=(
        "occupancy warehouse",
        "occupancy all",
        "occupancy warehouse zone dock doors",
        "occupancy lobby today",
        "occupancy warehouse 24h csv",
        "occupancy alert warehouse zone aisle 3 above 5",
        "occupancy alert lobby above 5 22:00-06:00 weekdays",
        "occupancy alerts",
        "occupancy alert off 3",
    ),
    details="\n".join(
        (
            CAMERA_FORMS_HELP,
            WINDOW_FORMS_HELP,
            "Without a window: the live count per zone (MQTT when it is fresh, else the "
            "Dashboard API). With one: average, peak and entrances per zone and a chart; "
            "add `csv` for the numbers.",
            "`occupancy alert <camera> [zone <name>] above <n> [hours]` (operator) posts here "
            "once when the count rises above n (within its hours, e.g. `22:00-06:00 "
            "weekdays`), and again only after it has dropped back below the hysteresis band. "
            "`occupancy alerts` lists them; `occupancy alert off <#>` removes one.",
        )
    ),
)
LOOKBACK = timedelta(days=365)  # Sense keeps a year of history


# Handlers ------------------------------------------------------------------------------


def command(occupancy: Occupancy) -> Command:
    async def handle(request: Request, tokens: list[str]) -> Outcome:
        args = parse_occupancy(tokens)
        if isinstance(args, ListAlerts):
            rules = occupancy.alerts.rules_in(request.message.place)
            await request.say(alerts_reply(rules, occupancy.alerts.hysteresis))
            return Outcome.OK
        if isinstance(args, AddAlert | RemoveAlert):
            _require_operator(request)
            if isinstance(args, AddAlert):
                return await _add_alert(request, args, occupancy)
            return await _remove_alert(request, args, occupancy)
        if args.camera is None:
            return await _all(request, occupancy)
        return await _one(request, args, occupancy)

    return Command(
        help=OCCUPANCY_HELP,
        role=Role.VIEWER,
        handler=handle,
        aliases=("occ",),
        preview=preview_occupancy,
    )


async def preview_occupancy(request: Request, tokens: list[str]) -> str:
    """A quick line for platforms that must answer within seconds (history can take longer)."""
    args = parse_occupancy(tokens)
    if not isinstance(args, Query) or args.camera is None:
        return "Counting…"
    record, _ = await find_camera(request, args.camera)
    if args.window is None:
        return f"Counting people at *{record.name}*…"
    return f"Fetching *{record.name}* occupancy history and drawing the chart…"


def _require_operator(request: Request) -> None:
    if request.role < Role.OPERATOR:
        have = "no role" if request.role is Role.NONE else f"the {request.role.label} role"
        raise Refused(
            f"Sorry, occupancy alerts need the operator role, and you have {have} here. "
            "Ask an mvbot admin to grant it."
        )


async def _sense_camera(request: Request, name: str) -> tuple[CameraRecord, ZoneInfo]:
    record, directory = await find_camera(request, name)
    if not record.sense:
        place = request.message.place
        others = [
            r.name for r in directory if r.sense and request.services.access.may_see(r.tags, place)
        ]
        hint = f" Cameras with Sense here: {', '.join(others)}." if others else ""
        raise UserError(
            f"{record.name} does not have MV Sense enabled, so it has no occupancy counts.{hint}"
        )
    return record, spoken_zone(request, record, directory)


async def _one(request: Request, args: Query, occupancy: Occupancy) -> Outcome:
    record, zone = await _sense_camera(request, args.camera or "")
    try:
        if args.window is None:
            await _live(request, record, zone, args.zone, occupancy)
        else:
            await _history(request, record, zone, args, args.window, occupancy)
    except MerakiError as error:
        raise UserError(explain(error, record.name)) from None
    return Outcome.OK


async def _live(
    request: Request, record: CameraRecord, zone: ZoneInfo, name: str | None, occupancy: Occupancy
) -> None:
    view = await occupancy.now(record.serial, priority=Priority.INTERACTIVE)
    only = None
    if name is not None:
        only = find_region([z.region for z in view.zones], name, record.name).id
    await request.say(live_reply(record, view, zone, request.services.clock(), only))


async def _history(
    request: Request,
    record: CameraRecord,
    zone: ZoneInfo,
    args: Query,
    window: Window,
    occupancy: Occupancy,
) -> None:
    now, priority = request.services.clock(), Priority.INTERACTIVE
    start, end = resolve_window(window, zone, now)
    longest = occupancy.settings.max_window
    if end - start > longest:
        raise UserError(
            f"That is {window_length(end - start)}; occupancy covers up to "
            f"{window_length(longest)} at a time — try `occupancy {record.name.lower()} "
            "yesterday` or a shorter range."
        )
    if start < now - LOOKBACK:
        raise UserError("MV Sense keeps a year of history — pick a window within the last year.")
    wanted = None
    if args.zone is not None:  # a wrong zone name costs no history requests
        regions = await occupancy.history.regions(record.serial, priority=priority)
        wanted = find_region(regions, args.zone, record.name)
    history = await occupancy.history.fetch(record.serial, start, end, priority=priority)
    if wanted is not None:
        history = history.only(wanted)
    if history.empty:
        raise UserError(f"{record.name} has no Sense zones, areas or lines to count in.")
    files = request.services.files
    chart, table = await asyncio.to_thread(
        history_files, history, record.name, zone, files, csv=args.csv
    )
    await request.say(history_reply(record, history, zone, chart))
    if table is not None:
        text = f"*{record.name}* occupancy as CSV ({table.filename})"
        await request.say(Reply(text, attachment=table))


async def _all(request: Request, occupancy: Occupancy) -> Outcome:
    services, place = request.services, request.message.place
    directory = await services.catalog.directory()
    records = [r for r in directory if r.sense and services.access.may_see(r.tags, place)]
    if not records:
        raise UserError("No camera with MV Sense is available in this room.")

    async def one(record: CameraRecord) -> tuple[CameraRecord, LiveView | None, str]:
        try:
            return record, await occupancy.now(record.serial, priority=Priority.INTERACTIVE), ""
        except MerakiError as error:
            return record, None, explain(error, record.name)

    rows = await asyncio.gather(*(one(r) for r in records))
    ranked = sorted(rows, key=lambda row: (row[1] is None, -(row[1].people if row[1] else 0)))
    await request.say(all_reply(ranked, services.clock()))
    return Outcome.OK


# Alerts --------------------------------------------------------------------------------


async def _add_alert(request: Request, args: AddAlert, occupancy: Occupancy) -> Outcome:
    record, _ = await _sense_camera(request, args.camera)
    try:
        regions = await occupancy.zones.zones(record.serial, priority=Priority.INTERACTIVE)
    except MerakiError as error:
        raise UserError(explain(error, record.name)) from None
    if args.zone is not None:
        region = find_region(regions, args.zone, record.name)
        zone_id, zone_label = region.id, region.name
    else:
        whole = next((r for r in regions if r.id == FULL_FRAME), None)
        zone_id, zone_label = FULL_FRAME, whole.name if whole else "Full Frame"
    hysteresis = occupancy.alerts.hysteresis
    for rule in occupancy.alerts.rules_in(request.message.place):
        if (rule.serial, rule.zone_id, rule.threshold) == (record.serial, zone_id, args.threshold):
            raise UserError(f"That alert already exists here: {alert_text(rule, hysteresis)}.")
    message = request.message
    rule = await occupancy.alerts.add(
        AlertRule(
            id=0,
            serial=record.serial,
            camera=record.name,
            zone_id=zone_id,
            zone_name=zone_label,
            threshold=args.threshold,
            place=message.place,
            created_by=message.person.email or message.person.id,
            created_at=request.services.clock(),
            hours=args.hours,
        )
    )
    again = alert_text(rule, occupancy.alerts.hysteresis)
    cooldown = duration(occupancy.alerts.cooldown)
    await request.say(
        Reply(
            f"I'll post here when *{record.name}* · {zone_label} has more than "
            f"{args.threshold} people (at most once every {cooldown})"
            + (f", during {args.hours.text} (its local time)." if args.hours else "."),
            tone=Tone.SUCCESS,
            context=(again,),
        )
    )
    return Outcome.OK


async def _remove_alert(request: Request, args: RemoveAlert, occupancy: Occupancy) -> Outcome:
    here = occupancy.alerts.rules_in(request.message.place)
    if args.rule_id is not None:
        found = [r for r in here if r.id == args.rule_id]
        if not found:
            raise UserError(
                f"No alert #{args.rule_id} in this room — `occupancy alerts` lists them."
            )
    else:
        record, _ = await find_camera(request, args.camera or "")
        found = [r for r in here if r.serial == record.serial]
        if args.zone is not None:
            found = [r for r in found if r.zone_name.casefold() == args.zone.casefold()]
        if not found:
            raise UserError(f"No occupancy alert for {record.name} in this room.")
        if len(found) > 1:
            ids = ", ".join(f"#{r.id}" for r in found)
            raise UserError(
                f"Several alerts match ({ids}) — say `occupancy alert off {found[0].id}`."
            )
    rule = found[0]
    await occupancy.alerts.remove(rule.id)
    await request.say(
        Reply(
            f"Removed alert #{rule.id}: {rule.camera} · {rule.zone_name} above {rule.threshold}.",
            tone=Tone.SUCCESS,
        )
    )
    return Outcome.OK
