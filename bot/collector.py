"""The garbage collector as a long-running bot needs it.

What start-up loaded (modules, tables, settings) lives as long as the bot, and a burst of
plate reads builds an index of tens of thousands of sightings (bot.events.evidence). With
CPython's defaults the collector walks all of that again every few thousand new objects:
a full pass cost about 0.1 s, several per burst (docs/benchmarks.md, plate ingest). So
what start-up loaded is frozen out of the passes, and the youngest generation is collected
less often (which makes every older one rarer too); garbage cycles wait a little longer.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

YOUNG = 10_000  # new objects between passes over the youngest generation (CPython: 700)


@contextlib.contextmanager
def tuned_for_a_service() -> Iterator[None]:
    """Tune the collector while the bot runs; undone at stop, so that a process that runs
    bots one after another collects what each left."""
    before = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(YOUNG, *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)
        gc.unfreeze()
