"""Occupancy history as files for the room: a PNG chart readable as a thumbnail, and a CSV.

Blocking (matplotlib, file writes): call from a worker thread. matplotlib is imported here
only, and this module only when a chart is asked for, so the bot starts without it.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import matplotlib.dates as mdates
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FormatStrFormatter, MaxNLocator

from bot.occupancy.history import BoundaryHistory, History, ZoneHistory, bucket_for
from bot.occupancy.zones import FULL_FRAME

# 960 x 540 px: big type and thick lines so that a chat thumbnail (~360 px wide) still reads.
SIZE_INCHES = (8.0, 4.5)
DPI = 120
_COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#17becf")
CSV_HEADER = (
    "start_utc",
    "start_local",
    "end_utc",
    "kind",
    "name",
    "average_count",
    "entrances",
    "in",
    "out",
)


def render_chart(history: History, camera: str, zone: ZoneInfo, path: Path) -> Path:
    """Per-minute average occupancy as a line per zone, entrances as bars, peak marked.

    A camera with only areas and lines (current API) gets their crossings instead:
    in as bars above the axis, out below.
    """
    fig = Figure(figsize=SIZE_INCHES, dpi=DPI)
    FigureCanvasAgg(fig)
    fig.subplots_adjust(left=0.09, right=0.91, top=0.84, bottom=0.15)
    ax = fig.add_subplot()
    bucket = bucket_for(history.end - history.start)
    if history.zones:
        _zones(ax, history.zones, bucket, zone)
        what = "people in view"
    else:
        _crossings(ax, history.boundaries, bucket)
        what = "crossings"
    fig.text(0.09, 0.95, f"{camera} — {what}", fontsize=16, fontweight="bold", va="top")
    fig.text(0.09, 0.895, _span_text(history.start, history.end, zone), fontsize=12, va="top")
    _time_axis(ax, history.start, history.end, zone)
    fig.savefig(path, format="png")
    return path


def _zones(ax: Axes, zones: Sequence[ZoneHistory], bucket: timedelta, tz: ZoneInfo) -> None:
    bars = ax.twinx()
    # One set of bars: the whole frame's entrances (it sees every zone), else the zones' sum.
    whole = next((z for z in zones if z.region.id == FULL_FRAME), None)
    sums: dict[datetime, int] = {}
    for series in [whole] if whole else zones:
        for start, count in _bucket_sums(series, bucket).items():
            sums[start] = sums.get(start, 0) + count
    bars.bar(
        [_x(start) for start in sums],
        list(sums.values()),
        width=_days(bucket) * 0.85,
        align="edge",
        color="#9aa5b1",
        alpha=0.45,
        label="Entrances",
    )
    for i, series in enumerate(zones):
        ax.plot(
            [_x(m.start) for m in series.minutes],
            [m.average for m in series.minutes],
            color=_COLOURS[i % len(_COLOURS)],
            linewidth=2.0,
            label=series.region.name,
        )
    # Lines in front of the bars, which belong to the twin axis.
    ax.set_zorder(bars.get_zorder() + 1)
    ax.patch.set_visible(False)
    ax.set_ylim(bottom=0)
    ax.set_ylabel("People (minute average)", fontsize=12)
    bars.set_ylabel(f"Entrances per {_bucket_text(bucket)} (bars)", fontsize=12)
    bars.tick_params(labelsize=11)
    bars.set_ylim(0, max(sums.values(), default=1) * 1.3 or 1)
    bars.yaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
    ax.yaxis.set_major_locator(MaxNLocator(nbins=5, steps=[1, 2, 2.5, 5, 10]))
    ax.yaxis.set_major_formatter(FormatStrFormatter("%g"))
    busiest = max(zones, key=lambda z: z.peak.average if z.peak else -1.0)
    peak = busiest.peak
    if peak is not None and peak.average > 0:
        local = peak.start.astimezone(tz).strftime("%H:%M")
        value = f"{peak.average:.1f}" if peak.average >= 1 else f"{peak.average:.2f}"
        # Keep the label inside the plot when the peak is near either edge.
        ax.annotate(
            f"peak {value} at {local}",
            xy=(_x(peak.start), peak.average),
            xytext=(0, 18),
            textcoords="offset points",
            ha=_edge_alignment(peak.start, zones),
            fontsize=12,
            fontweight="bold",
            arrowprops={"arrowstyle": "->", "lw": 1.5},
        )
        ax.set_ylim(top=peak.average * 1.3)
    handles, labels = ax.get_legend_handles_labels()
    bar_handles, bar_labels = bars.get_legend_handles_labels()
    ax.legend(
        handles + bar_handles,
        labels + bar_labels,
        loc="upper left",
        fontsize=11,
        frameon=False,
        ncols=min(4, len(zones) + 1),
    )


def _edge_alignment(moment: datetime, zones: Sequence[ZoneHistory]) -> str:
    first = min(z.minutes[0].start for z in zones if z.minutes)
    last = max(z.minutes[-1].start for z in zones if z.minutes)
    where = (moment - first) / (last - first) if last > first else 0.5
    return "right" if where > 0.8 else "left" if where < 0.2 else "center"


def _crossings(ax: Axes, boundaries: Sequence[BoundaryHistory], bucket: timedelta) -> None:
    width = bucket / max(1, len(boundaries)) * 0.9
    for i, series in enumerate(boundaries):
        colour = _COLOURS[i % len(_COLOURS)]
        starts = [_x(b.start + width * i) for b in series.buckets]
        ax.bar(
            starts,
            [b.entered for b in series.buckets],
            width=_days(width),
            align="edge",
            color=colour,
            label=f"{series.region.name} in",
        )
        ax.bar(
            starts,
            [-b.exited for b in series.buckets],
            width=_days(width),
            align="edge",
            color=colour,
            alpha=0.45,
            label=f"{series.region.name} out",
        )
    ax.axhline(0, color="black", linewidth=1)
    ax.set_ylabel(f"In (up) / out (down) per {_bucket_text(bucket)}", fontsize=12)
    ax.legend(loc="upper left", fontsize=11, frameon=False, ncols=2)


def _time_axis(ax: Axes, start: datetime, end: datetime, tz: ZoneInfo) -> None:
    locator = mdates.AutoDateLocator(tz=tz, minticks=4, maxticks=8)  # type: ignore[no-untyped-call]
    ax.xaxis.set_major_locator(locator)
    fmt = "%a %H:%M" if end - start > timedelta(days=1) else "%H:%M"
    ax.xaxis.set_major_formatter(mdates.DateFormatter(fmt, tz=tz))  # type: ignore[no-untyped-call]
    ax.set_xlim(_x(start), _x(end))
    ax.tick_params(labelsize=11)
    ax.grid(axis="y", alpha=0.3)
    abbreviation = start.astimezone(tz).strftime("%Z")
    ax.set_xlabel(f"Local time, {tz.key} ({abbreviation})", fontsize=12)


def _x(moment: datetime) -> float:
    """matplotlib's date number: days since its default epoch, 1970-01-01 UTC."""
    return moment.timestamp() / 86400.0


def _days(length: timedelta) -> float:
    return length / timedelta(days=1)


def _bucket_sums(series: ZoneHistory, bucket: timedelta) -> dict[datetime, int]:
    sums: dict[datetime, int] = {}
    if not series.minutes:
        return sums
    origin = series.minutes[0].start
    for m in series.minutes:
        key = origin + bucket * ((m.start - origin) // bucket)
        sums[key] = sums.get(key, 0) + m.entrances
    return sums


def _bucket_text(bucket: timedelta) -> str:
    minutes = int(bucket.total_seconds() // 60)
    if minutes % 60:
        return f"{minutes} min"
    return "hour" if minutes == 60 else f"{minutes // 60} h"


def _span_text(start: datetime, end: datetime, tz: ZoneInfo) -> str:
    a, b = start.astimezone(tz), end.astimezone(tz)
    head = f"{a:%a} {a.day} {a:%b} {a:%H:%M}"
    return (
        f"{head}–{b:%H:%M}" if a.date() == b.date() else f"{head}–{b:%a} {b.day} {b:%b} {b:%H:%M}"
    )


def write_csv(history: History, tz: ZoneInfo, path: Path) -> Path:
    """Every row of the history: per minute for zones, per interval for areas and lines."""
    with path.open("w", newline="", encoding="utf-8") as file:
        out = csv.writer(file)
        out.writerow(CSV_HEADER)
        for zone in history.zones:
            for m in zone.minutes:
                end = m.start + timedelta(minutes=1)
                out.writerow(
                    (
                        _utc(m.start),
                        _local(m.start, tz),
                        _utc(end),
                        "zone",
                        zone.region.name,
                        f"{m.average:g}",
                        m.entrances,
                        "",
                        "",
                    )
                )
        for boundary in history.boundaries:
            for b in boundary.buckets:
                out.writerow(
                    (
                        _utc(b.start),
                        _local(b.start, tz),
                        _utc(b.end),
                        boundary.region.kind,
                        boundary.region.name,
                        "",
                        "",
                        b.entered,
                        b.exited,
                    )
                )
    return path


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _local(moment: datetime, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).isoformat(timespec="seconds")
