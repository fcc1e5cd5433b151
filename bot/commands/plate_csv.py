"""Watch- and allow-lists as CSV: `plate,note,hours` rows read (every row checked, all or
nothing) and written (safe to open in a spreadsheet).

Reading is bounded (bytes and rows) and refuses text that is not UTF-8. Writing prefixes
a cell that a spreadsheet would take for a formula (= + - @, tab, CR) with `'`; reading
drops that prefix again, so an export imports back unchanged.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.commands.plate_entries import MAX_NOTE, PlateEntry
from bot.events.lpr import PlateError, PlatePattern
from bot.grammar.hours import Hours, parse_hours
from bot.grammar.tokens import ParseError, echo
from bot.messages import literal

MAX_BYTES = 1 << 20  # 1 MiB: some 20,000 rows, more than any list a room keeps
MAX_ROWS = 5000
REPORT_ROWS = 20  # rejected rows named in a report; the rest are counted
HEADER = ("plate", "note", "hours")
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLATE_CELL = re.compile(r"[A-Za-z0-9*? .-]+")
CSV_FORMS_HELP = (
    "CSV columns: `plate,note,hours` (a header row is optional; hours like `21:00-06:00 "
    f"weekdays`). Up to {MAX_ROWS:,} rows; every row is checked and nothing is imported "
    "unless all are good. Existing plates get the file's note and hours."
)


class CsvRefused(Exception):
    """The whole file is refused; `str()` is the report to show (one or more lines)."""


@dataclass(frozen=True)
class BadRow:
    line: int
    reason: str


def read_entries(data: bytes) -> list[PlateEntry]:
    """Every row of a plate-list CSV, or CsvRefused naming each bad row and why."""
    if len(data) > MAX_BYTES:
        raise CsvRefused(f"That file is {len(data):,} bytes; a list can be {MAX_BYTES:,} at most.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CsvRefused("That file is not UTF-8 text: save it as “CSV UTF-8”.") from None
    if "\x00" in text:
        raise CsvRefused("That file is not a CSV (it holds binary data).")
    try:
        rows = list(enumerate(csv.reader(io.StringIO(text, newline="")), start=1))
    except csv.Error as error:
        raise CsvRefused(f"That file is not a readable CSV: {error}.") from None
    rows = [(n, row) for n, row in rows if any(cell.strip() for cell in row)]
    columns = _columns(rows[0][1]) if rows else None
    if columns is not None:
        rows = rows[1:]
    if len(rows) > MAX_ROWS:
        raise CsvRefused(f"That file has {len(rows):,} rows; a list can have {MAX_ROWS:,}.")
    if not rows:
        raise CsvRefused("That file has no rows: one plate a row, `plate,note,hours`.")
    entries: list[PlateEntry] = []
    bad: list[BadRow] = []
    seen: dict[str, int] = {}
    for line, row in rows:
        try:
            entry = _entry(row, columns or {name: i for i, name in enumerate(HEADER)})
        except ParseError as error:
            bad.append(BadRow(line, str(error)))
            continue
        if entry.pattern.text in seen:
            bad.append(BadRow(line, f"{entry.pattern.text} is on row {seen[entry.pattern.text]}"))
            continue
        seen[entry.pattern.text] = line
        entries.append(entry)
    if bad:
        raise CsvRefused(report(bad, len(rows)))
    return entries


def report(bad: Sequence[BadRow], total: int) -> str:
    lines = [f"Nothing imported: {len(bad)} of {total} rows are wrong. Fix them and try again."]
    lines += [f"• row {b.line}: {literal(b.reason)}" for b in bad[:REPORT_ROWS]]
    if len(bad) > REPORT_ROWS:
        lines.append(f"…and {len(bad) - REPORT_ROWS} more.")
    return "\n".join(lines)


def write_entries(entries: Iterable[tuple[str, str | None, Hours | None]]) -> str:
    """`plate,note,hours` CSV text of (plate, note, hours) rows, formula-safe."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    for plate, note, hours in entries:
        writer.writerow([_safe(plate), _safe(note or ""), hours.text if hours else ""])
    return out.getvalue()


def _safe(cell: str) -> str:
    # A cell that starts with the prefix itself gets one too, so that reading is exact.
    return "'" + cell if cell.startswith((*_FORMULA_STARTS, "'")) else cell


def _unsafe(cell: str) -> str:
    escaped = cell.startswith("'") and cell[1:].startswith((*_FORMULA_STARTS, "'"))
    return cell[1:] if escaped else cell


def _columns(first: Sequence[str]) -> dict[str, int] | None:
    """The header's columns by name, or None when the first row is data."""
    names = [cell.strip().lower() for cell in first]
    if "plate" not in names:
        return None
    return {name: names.index(name) for name in HEADER if name in names}


def _entry(row: Sequence[str], columns: dict[str, int]) -> PlateEntry:
    if len(row) > len(HEADER) + 2:
        raise ParseError(f"{len(row)} columns; a row is `plate,note,hours`")

    def cell(name: str) -> str:
        index = columns.get(name)
        return _unsafe(row[index].strip()) if index is not None and index < len(row) else ""

    plate = cell("plate")
    if not plate:
        raise ParseError("no plate")
    if not _PLATE_CELL.fullmatch(plate):
        # "=cmd|' /C calc'!A0" must not become the plate CMDCALCA0.
        raise ParseError(f"'{echo(plate)}' has characters a plate cannot have")
    try:
        pattern = PlatePattern.parse(plate)
    except PlateError as error:
        raise ParseError(str(error)) from None
    note = " ".join(cell("note").split())
    if len(note) > MAX_NOTE:
        raise ParseError(f"the note is over {MAX_NOTE} characters")
    hours_text = cell("hours")
    hours = parse_hours(hours_text) if hours_text else None
    return PlateEntry(pattern, note or None, hours)
