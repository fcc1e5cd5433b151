"""Counters, histograms and gauges exposed at /metrics, kept by `prometheus_client`.

Each `Metrics` owns its registry (tests and the demo run several side by side), and every
series carries the `replica` label, so one Prometheus can tell a fleet's replicas apart.
A metric is created on its first use, with the label names of that use.
"""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)

# `_created` timestamps double the series count and no dashboard of ours reads them.
disable_created_metrics()  # type: ignore[no-untyped-call]  # untyped upstream

# Seconds: from a 5 ms acknowledgement to a 10-minute clip (Prometheus' defaults stop at 10 s).
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600)

_Labels = tuple[tuple[str, str], ...]


class Metrics:
    """Counters cheap enough to bump on every command, latency histograms, and gauges read
    only when /metrics is asked."""

    def __init__(self, replica: str = "") -> None:
        self.replica = replica
        self._registry = CollectorRegistry(auto_describe=True)
        self._help: dict[str, str] = {}
        self._families: dict[str, Counter | Histogram] = {}
        self._children: dict[tuple[str, _Labels], Counter | Histogram] = {}
        # What `value` reads: asking the registry collects every metric, which callers that
        # poll a count (tests, benchmarks) would pay for every time.
        self._tallies: dict[tuple[str, _Labels], float] = {}

    def describe(self, name: str, text: str) -> None:
        """The help line of a metric; call it before the metric's first use."""
        self._help[name] = text

    def inc(self, name: str, amount: float = 1, **labels: str) -> None:
        key = (name, tuple(sorted(labels.items())))
        child = self._child(Counter, name, key, labels)
        assert isinstance(child, Counter)
        child.inc(amount)
        self._tallies[key] = self._tallies.get(key, 0.0) + amount

    def observe(self, name: str, seconds: float, **labels: str) -> None:
        """One measured duration into the histogram `name` (seconds, LATENCY_BUCKETS)."""
        key = (name, tuple(sorted(labels.items())))
        child = self._child(Histogram, name, key, labels)
        assert isinstance(child, Histogram)
        child.observe(seconds)
        self._tallies[key] = self._tallies.get(key, 0.0) + 1

    def gauge(self, name: str, text: str, read: Callable[[], float]) -> None:
        """A value taken when it is exposed (`read` must be cheap: it runs per scrape)."""
        gauge = Gauge(name, text, ["replica"], registry=self._registry)
        gauge.labels(self.replica).set_function(read)

    def value(self, name: str, **labels: str) -> float:
        """A counter's value (0 before its first use); a histogram's count of observations."""
        return self._tallies.get((name, tuple(sorted(labels.items()))), 0.0)

    def exposition(self) -> str:
        return generate_latest(self._registry).decode()

    def _child(
        self,
        kind: type[Counter] | type[Histogram],
        name: str,
        key: tuple[str, _Labels],
        labels: dict[str, str],
    ) -> Counter | Histogram:
        child = self._children.get(key)
        if child is not None:  # the hot path: one dict look-up
            return child
        family = self._families.get(name)
        if family is None:
            names = [*sorted(labels), "replica"]
            text = self._help.get(name, name)
            if kind is Histogram:
                family = Histogram(
                    name, text, names, registry=self._registry, buckets=LATENCY_BUCKETS
                )
            else:
                family = Counter(name, text, names, registry=self._registry)
            self._families[name] = family
        child = family.labels(replica=self.replica, **labels)
        self._children[key] = child
        return child
