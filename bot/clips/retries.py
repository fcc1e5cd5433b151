"""What deferred clips and snapshots share: re-arming at start, waits between tries, who asked."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.messages import Person
from bot.services import Services

# Waits between "too recent" answers: short at first, then settling at a minute.
RETRY_STEPS = (timedelta(seconds=10), timedelta(seconds=20), timedelta(seconds=40))
RETRY_MAX = timedelta(seconds=60)
# How long after the footage deadline a reply that could not be posted is still retried.
POST_PATIENCE = timedelta(hours=1)


def retry_wait(attempts: int) -> timedelta:
    """The wait before the next try, after `attempts` tries the cloud called too recent."""
    return RETRY_STEPS[attempts] if attempts < len(RETRY_STEPS) else RETRY_MAX


def person_to_json(person: Person) -> dict[str, Any]:
    return {
        "platform": person.platform,
        "id": person.id,
        "email": person.email,
        "time_zone": person.time_zone,
    }


async def rearm(services: Services, kind: str) -> int:
    """Schedule every unfinished job of `kind` again, at its due time (now, if that has
    passed): the scheduler's own store may have lost one. Returns how many."""
    count = 0
    for status in ("pending", "running"):
        for job in await services.store.jobs(status=status, kind=kind):
            services.scheduler.schedule(kind, job.id, max(job.due_at, services.clock()))
            count += 1
    return count
