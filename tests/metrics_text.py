"""/metrics read as Prometheus reads it: the exposition parsed into samples by name and labels."""

from __future__ import annotations

from collections.abc import Mapping

from prometheus_client.parser import text_string_to_metric_families


class Samples:
    """Every sample of one scrape; a sample asked for and absent reads 0."""

    def __init__(self, text: str) -> None:
        self._values: dict[tuple[str, frozenset[tuple[str, str]]], float] = {}
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                self._values[(sample.name, frozenset(sample.labels.items()))] = sample.value

    def get(self, name: str, labels: Mapping[str, str]) -> float:
        return self._values.get((name, frozenset(labels.items())), 0.0)

    def count(self, histogram: str, **labels: str) -> float:
        """Observations in `histogram` with exactly these labels (replica included)."""
        return self.get(f"{histogram}_count", labels)

    def above(self, histogram: str, bound: str, **labels: str) -> float:
        """Observations in `histogram` larger than the bucket bound `bound` (e.g. "60.0")."""
        every = self.get(f"{histogram}_bucket", {**labels, "le": "+Inf"})
        return every - self.get(f"{histogram}_bucket", {**labels, "le": bound})
