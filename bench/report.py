"""Shared by the benchmarks: put one benchmark's section into docs/benchmarks.md."""

from __future__ import annotations

import re
from pathlib import Path


def replace_section(docs: Path, title: str, section: str) -> None:
    """Replace the section headed `title` (a '## …' line) with `section`, or append it."""
    text = docs.read_text() if docs.exists() else "# Benchmarks\n\n"
    pattern = re.compile(rf"^{re.escape(title)}\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(text):
        text = pattern.sub(lambda _: section.rstrip() + "\n\n", text).rstrip() + "\n"
    else:
        text = text.rstrip() + "\n\n" + section
    docs.write_text(text)
