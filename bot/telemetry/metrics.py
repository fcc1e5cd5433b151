"""Counters and gauges exposed at /metrics in the Prometheus text format."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable


class Metrics:
    """Monotonic counters keyed by name and labels, cheap enough to bump on every command,
    and gauges read only when /metrics is asked."""

    def __init__(self) -> None:
        self._counts: defaultdict[tuple[str, tuple[tuple[str, str], ...]], float] = defaultdict(
            float
        )
        self._help: dict[str, str] = {}
        self._gauges: dict[str, Callable[[], float]] = {}

    def describe(self, name: str, text: str) -> None:
        self._help[name] = text

    def inc(self, name: str, amount: float = 1, **labels: str) -> None:
        self._counts[(name, tuple(sorted(labels.items())))] += amount

    def gauge(self, name: str, text: str, read: Callable[[], float]) -> None:
        """A value taken when it is exposed (`read` must be cheap: it runs per scrape)."""
        self._help[name] = text
        self._gauges[name] = read

    def value(self, name: str, **labels: str) -> float:
        return self._counts.get((name, tuple(sorted(labels.items()))), 0.0)

    def exposition(self) -> str:
        lines: list[str] = []
        names = sorted({name for name, _ in self._counts} | set(self._help))
        for name in names:
            if name in self._help:
                lines.append(f"# HELP {name} {self._help[name]}")
            if name in self._gauges:
                lines += [f"# TYPE {name} gauge", f"{name} {self._gauges[name]():g}"]
                continue
            lines.append(f"# TYPE {name} counter")
            for (counted, labels), value in sorted(self._counts.items()):
                if counted == name:
                    rendered = ",".join(f'{k}="{_escape(v)}"' for k, v in labels)
                    lines.append(
                        f"{name}{{{rendered}}} {value:g}" if labels else f"{name} {value:g}"
                    )
        return "\n".join(lines) + "\n"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
