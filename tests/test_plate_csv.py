"""Plate lists as CSV: rows checked one by one (all or nothing, a report naming each bad row),
bounded, UTF-8 only, and exported so that a spreadsheet never runs a cell as a formula."""

import csv
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.commands.plate_csv import (
    MAX_BYTES,
    MAX_ROWS,
    REPORT_ROWS,
    CsvRefused,
    read_entries,
    write_entries,
)
from bot.grammar.hours import parse_hours


def test_rows_with_and_without_a_header_become_entries() -> None:
    text = 'plate,note,hours\nABC-1234,"Delivery van, blue",21:00-06:00 weekdays\n"XY*",,\n'
    first, second = read_entries(text.encode())
    assert (first.pattern.text, first.note) == ("ABC1234", "Delivery van, blue")
    assert first.hours == parse_hours("21:00-06:00 weekdays")
    assert (second.pattern.text, second.note, second.hours) == ("XY*", None, None)
    (bare,) = read_entries(b"\xef\xbb\xbfKLM2468,Visitor\r\n")  # a BOM, no header
    assert (bare.pattern.text, bare.note) == ("KLM2468", "Visitor")
    (reordered,) = read_entries(b"Hours,Plate\n9pm-6am,NGT0001\n")
    assert reordered.pattern.text == "NGT0001" and reordered.hours == parse_hours("9pm-6am")


def test_one_bad_row_refuses_the_file_and_the_report_names_every_bad_row() -> None:
    rows = ["plate,note,hours"] + [f"GOOD{n:03d},ok," for n in range(40)]
    rows[5] = "A,too short,"
    rows[12] = "BAD0001,,25:00-06:00"
    rows[30] = "GOOD001,twice,"
    rows[33] = ",no plate,"
    with pytest.raises(CsvRefused) as refused:
        read_entries("\n".join(rows).encode())
    report = str(refused.value)
    assert report.startswith("Nothing imported: 4 of 40 rows are wrong.")
    assert "row 6: 'A' would match almost every plate" in report
    assert "row 13: '25:00' is not a time" in report
    assert "row 31: GOOD001 is on row 3" in report
    assert "row 34: no plate" in report


def test_a_long_report_names_the_first_rows_and_counts_the_rest() -> None:
    with pytest.raises(CsvRefused) as refused:
        read_entries(("\n".join(["!"] * 30)).encode())
    lines = str(refused.value).splitlines()
    assert len(lines) == 1 + REPORT_ROWS + 1 and lines[-1] == "…and 10 more."


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (b"ABC1234,caf\xe9\n", "not UTF-8"),
        (b"ABC1234\x00,x\n", "binary"),
        (b"x" * (MAX_BYTES + 1), "bytes"),
        (("\n".join(f"P{n:06d}" for n in range(MAX_ROWS + 1))).encode(), "rows"),
        (b"plate,note\n\n", "no rows"),
        (b"ABC1234,a,b,c,d,e\n", "6 columns"),
        (b"=cmd|' /C calc'!A0,x\n", "characters a plate cannot have"),
    ],
)
def test_hostile_files_are_refused_with_a_reason(data: bytes, says: str) -> None:
    with pytest.raises(CsvRefused, match=says):
        read_entries(data)


def test_an_export_is_safe_in_a_spreadsheet_and_imports_back() -> None:
    rows = [
        ("ABC1234", '=HYPERLINK("http://evil")', None),
        ("XYZ9876", "+1 555", parse_hours("22:00-06:00 weekdays")),
        ("KLM2468", "@SUM(A1)", None),
        ("DEF5150", "-2+3", None),
        ("GHI4242", "'=already quoted", None),
    ]
    text = write_entries(rows)
    cells = [row[1] for row in csv.reader(io.StringIO(text))][1:]
    assert all(cell.startswith("'") for cell in cells)
    again = read_entries(text.encode())
    assert [(e.pattern.text, e.note, e.hours) for e in again] == rows


notes = st.text(st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), max_size=40).map(
    lambda s: " ".join(s.split())
)


@given(st.lists(notes, min_size=1, max_size=8))
def test_any_notes_round_trip(written: list[str]) -> None:
    rows = [(f"RT{n:04d}", note or None, None) for n, note in enumerate(written)]
    assert [
        (e.pattern.text, e.note, e.hours) for e in read_entries(write_entries(rows).encode())
    ] == rows
