"""Cursor pagination as the Dashboard API does it: perPage, startingAfter, endingBefore, Link."""

from __future__ import annotations

import bisect
from collections.abc import Callable, Sequence
from typing import TypeVar

from starlette.datastructures import URL
from starlette.requests import Request

from simulator.context import int_param

T = TypeVar("T")


def paginate(
    request: Request,
    items: Sequence[T],
    token: Callable[[T], str],
    per_page: tuple[int, int, int],
) -> tuple[list[T], dict[str, str]]:
    """One page of `items` (sorted by `token`) and the headers announcing the others.

    `per_page` is (lowest, highest, default). The `Link` header carries absolute
    URLs with rel=first, prev, next and last, like the real cloud's.
    """
    low, high, default = per_page
    size = int_param(request.query_params.get("perPage"), "perPage", low, high, default)
    tokens = [token(item) for item in items]
    after = request.query_params.get("startingAfter")
    before = request.query_params.get("endingBefore")
    if after:
        start = bisect.bisect_right(tokens, after)
        end = min(len(items), start + size)
    elif before:
        end = bisect.bisect_left(tokens, before)
        start = max(0, end - size)
    else:
        start, end = 0, min(len(items), size)
    base = URL(str(request.url)).remove_query_params(["startingAfter", "endingBefore"])
    links = [f"<{base}>; rel=first"]
    if start > 0:
        links.append(f"<{base.include_query_params(endingBefore=tokens[start])}>; rel=prev")
    if end < len(items):
        links.append(f"<{base.include_query_params(startingAfter=tokens[end - 1])}>; rel=next")
    last_start = len(items) - size
    last = (
        base if last_start <= 0 else base.include_query_params(startingAfter=tokens[last_start - 1])
    )
    links.append(f"<{last}>; rel=last")
    return list(items[start:end]), {"Link": ", ".join(links)}
