"""The organisation rate budget: sliding window, priorities, pauses, cancellation (virtual time)."""

from __future__ import annotations

import asyncio

import pytest

from bot.meraki.budget import Priority, RateBudget
from tests.test_meraki_virtualtime import run_virtual


async def _take(budget: RateBudget, priority: Priority, name: str, order: list[str]) -> float:
    slot = await budget.acquire(priority)
    order.append(name)
    slot.release()
    return budget.now()


def _max_in_any_window(starts: list[float], span: float) -> int:
    starts = sorted(starts)
    return max(
        sum(1 for other in starts[i:] if other < start + span) for i, start in enumerate(starts)
    )


def test_no_more_than_rate_starts_in_any_window_even_after_idle() -> None:
    async def main() -> list[float]:
        budget = RateBudget(5.0)
        first = await asyncio.gather(
            *(_take(budget, Priority.BACKGROUND, "", []) for _ in range(7))
        )
        await asyncio.sleep(10)  # idle: a token bucket would now allow a double burst
        second = await asyncio.gather(
            *(_take(budget, Priority.BACKGROUND, "", []) for _ in range(43))
        )
        return [*first, *second]

    starts = run_virtual(main())
    assert len(starts) == 50
    assert _max_in_any_window(starts, 1.05) == 5
    # And the budget does not waste its rate: 43 starts after the idle take 8 windows.
    second = starts[7:]
    assert max(second) - min(second) == pytest.approx(8 * 1.05)


def test_fractional_rates_hold_over_a_stretched_window() -> None:
    async def main() -> list[float]:
        budget = RateBudget(0.5)
        return list(
            await asyncio.gather(*(_take(budget, Priority.ALERT, "", []) for _ in range(4)))
        )

    starts = run_virtual(main())
    assert sorted(starts) == pytest.approx([0.0, 2.05, 4.1, 6.15])


def test_a_person_waiting_jumps_queued_background_work() -> None:
    async def main() -> list[str]:
        budget = RateBudget(1.0)
        order: list[str] = []
        held = await budget.acquire(Priority.BACKGROUND)
        tasks = [
            asyncio.create_task(_take(budget, Priority.BACKGROUND, f"refresh{i}", order))
            for i in range(3)
        ]
        await asyncio.sleep(0.1)
        tasks += [
            asyncio.create_task(_take(budget, Priority.VIEWER, "viewer", order)),
            asyncio.create_task(_take(budget, Priority.ALERT, "alert", order)),
            asyncio.create_task(_take(budget, Priority.INTERACTIVE, "person", order)),
        ]
        await asyncio.sleep(0.1)
        held.release()
        await asyncio.gather(*tasks)
        return order

    assert run_virtual(main()) == [
        "person",
        "alert",
        "viewer",
        "refresh0",
        "refresh1",
        "refresh2",
    ]


def test_a_slot_not_yet_sent_keeps_the_window_from_sliding_past_it() -> None:
    async def main() -> float:
        budget = RateBudget(1.0)
        stuck = await budget.acquire()  # e.g. waiting for a connection
        waiter = asyncio.create_task(_take(budget, Priority.BACKGROUND, "", []))
        await asyncio.sleep(5)
        assert not waiter.done()
        stuck.mark_sent()  # sent at t=5: the next start may come one window later
        return await waiter

    assert run_virtual(main()) == pytest.approx(6.05)


def test_pause_after_a_429_stops_everyone_until_retry_after() -> None:
    async def main() -> list[float]:
        budget = RateBudget(5.0)
        await _take(budget, Priority.BACKGROUND, "", [])
        budget.pause_until(budget.now() + 3.0)
        budget.pause_until(budget.now() + 1.0)  # a shorter pause never shortens a longer one
        return list(
            await asyncio.gather(*(_take(budget, Priority.INTERACTIVE, "", []) for _ in range(3)))
        )

    assert run_virtual(main()) == [3.0, 3.0, 3.0]


def test_a_cancelled_waiter_does_not_take_a_slot() -> None:
    async def main() -> tuple[float, int]:
        budget = RateBudget(1.0)
        (await budget.acquire()).release()
        doomed = asyncio.create_task(_take(budget, Priority.INTERACTIVE, "", []))
        patient = asyncio.create_task(_take(budget, Priority.BACKGROUND, "", []))
        await asyncio.sleep(0.5)
        doomed.cancel()
        granted = await patient
        assert doomed.cancelled()
        return granted, budget.waiting

    granted, still_waiting = run_virtual(main())
    assert granted == pytest.approx(1.05)
    assert still_waiting == 0


def test_a_waiter_cancelled_in_the_tick_it_is_granted_hands_the_slot_on() -> None:
    async def main() -> float:
        budget = RateBudget(1.0)
        (await budget.acquire()).release()
        doomed = asyncio.create_task(_take(budget, Priority.INTERACTIVE, "", []))
        patient = asyncio.create_task(_take(budget, Priority.BACKGROUND, "", []))
        await asyncio.sleep(0)
        # Fires in the same loop iteration as the budget's own timer for t=1.05.
        asyncio.get_running_loop().call_at(1.05, doomed.cancel)
        granted = await patient
        assert doomed.cancelled()
        return granted

    assert run_virtual(main()) == pytest.approx(1.05)


def test_a_retry_keeps_its_place_in_line() -> None:
    async def main() -> list[str]:
        budget = RateBudget(1.0)
        order: list[str] = []
        first = await budget.acquire(Priority.ALERT)
        later = asyncio.create_task(_take(budget, Priority.ALERT, "later", order))
        await asyncio.sleep(0)
        first.release()
        retried = await budget.acquire(Priority.ALERT, seq=first.seq)
        order.append("retry")
        retried.release()
        await later
        return order

    assert run_virtual(main()) == ["retry", "later"]


def test_rejects_nonsense_rates() -> None:
    with pytest.raises(ValueError):
        RateBudget(0)
