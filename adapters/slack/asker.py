"""Who asked: known for each running command, so its private replies reach that person alone."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Asker:
    """The Slack user a command came from, and how to answer them privately."""

    user_id: str
    response_url: str | None = None  # slash commands and button presses carry one
    # What the room did not see, shown under public replies: the slash command as typed
    # ("/mv clip lobby 10m ago 2m") or the label of the button pressed.
    typed: str | None = None
    pressed: str | None = None


class Askers:
    """The asker of each command task that is running now.

    The core's `send(place, reply)` names a place but not the person asking. Every command
    runs in a task of its own (listeners.py), and the core answers from that task, so the
    task identifies the asker. Keyed by task rather than a context variable on purpose:
    context is inherited by whatever a command happens to start (a scheduler wake-up), and
    a later, unrelated delivery must never be taken for this person's.
    """

    def __init__(self) -> None:
        self._by_task: dict[asyncio.Task[Any], Asker] = {}

    @contextmanager
    def asking(self, asker: Asker) -> Iterator[None]:
        task = asyncio.current_task()
        if task is None:
            raise RuntimeError("a command runs in a task")
        self._by_task[task] = asker
        try:
            yield
        finally:
            del self._by_task[task]

    def current(self) -> Asker | None:
        task = asyncio.current_task()
        return self._by_task.get(task) if task is not None else None
