"""Text layout every adapter shares: a Reply's table as aligned monospace lines."""

from __future__ import annotations


def aligned_table(rows: tuple[tuple[str, ...], ...], *, rule: str = "-") -> list[str]:
    """The header row, a rule of `rule` under each column, then the rows, left-aligned."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows]
    lines.insert(1, "  ".join(rule * w for w in widths))
    return [line.rstrip() for line in lines]
