"""Dashboard API transport: auth, org budget, retries, 429 pauses, coalescing, pagination."""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from bot.meraki.budget import Budget, Priority
from bot.meraki.coalesce import Coalescer
from bot.meraki.errors import MerakiError, RateLimited, Unavailable, error_for_status

log = logging.getLogger("bot.meraki")

Params = Sequence[tuple[str, str]]

_MAX_REDIRECTS = 3
_DEFAULT_RETRY_AFTER = 1.0


@dataclass(frozen=True)
class RetryPolicy:
    """How long and how often an API call is retried."""

    max_attempts: int = 5  # for 5xx, timeouts and connection errors
    rate_limit_wait: float = 120.0  # total seconds a call may spend rate limited (429)
    backoff_base: float = 0.5  # full-jitter backoff: uniform(0, min(cap, base * 2**n))
    backoff_cap: float = 20.0

    def backoff(self, failures: int, rng: random.Random) -> float:
        """Seconds to wait after the ``failures``-th failure in a row."""
        return rng.uniform(0.0, min(self.backoff_cap, self.backoff_base * 2 ** (failures - 1)))


@dataclass(frozen=True)
class Page:
    """One decoded API answer and the URL of the next page, if any."""

    body: Any
    next_url: str | None


@dataclass(frozen=True)
class Attempt:
    """One request sent to the API: what it was, how it ended, and what it cost in time."""

    operation: str  # what was asked: "clip", "snapshot", "video link", …
    outcome: str  # "200", "429", "timeout", "connection error", …
    priority: Priority
    waited: float  # seconds spent waiting for the budget's slot
    seconds: float  # seconds from sending to the answer (or the failure)


# Told of every attempt, e.g. to count it and time it.
Observer = Callable[[Attempt], None]


class ApiTransport:
    """Sends Dashboard API requests for one organisation's budget.

    Every attempt takes a budget slot with the caller's priority. A 429 pauses the whole
    budget for its Retry-After; 5xx, timeouts and dropped connections back off with full
    jitter; other 4xx become typed errors at once. Identical GETs in flight are shared.
    """

    def __init__(
        self,
        http: httpx.AsyncClient,
        base_url: str,
        api_key: str,
        budget: Budget,
        *,
        timeout: float = 30.0,
        policy: RetryPolicy | None = None,
        rng: random.Random | None = None,
        observe: Observer | None = None,
    ) -> None:
        self._http = http
        self._observe = observe
        self.base_url = httpx.URL(base_url.rstrip("/") + "/")
        self._api_key = api_key
        self.budget = budget
        self._timeout = timeout
        self.policy = policy or RetryPolicy()
        self._rng = rng or random.Random()  # noqa: S311 (jitter, not a secret)
        self._pages: Coalescer[Page] = Coalescer()
        self._lists: Coalescer[list[Any]] = Coalescer()

    def __repr__(self) -> str:
        return f"ApiTransport(base_url={str(self.base_url)!r}, budget={self.budget!r})"

    async def get(
        self, path: str, params: Params = (), *, priority: Priority, operation: str
    ) -> Any:
        """GET one resource; identical GETs already in flight share one request."""
        return (await self._get_page(self.url_for(path), params, priority, operation)).body

    async def get_all(
        self, path: str, params: Params = (), *, priority: Priority, operation: str
    ) -> list[Any]:
        """GET every page of a list, following the Link header's rel=next."""
        key = ("all", str(self.url_for(path)), tuple(params))
        return await self._lists.run(key, lambda: self._collect(path, params, priority, operation))

    async def post(
        self, path: str, body: dict[str, Any], *, priority: Priority, operation: str
    ) -> Any:
        page = await self._call("POST", self.url_for(path), (), body, priority, operation)
        return page.body

    def url_for(self, path: str) -> httpx.URL:
        return self.base_url.join(path.lstrip("/"))

    async def _collect(
        self, path: str, params: Params, priority: Priority, operation: str
    ) -> list[Any]:
        items: list[Any] = []
        url: httpx.URL | None = self.url_for(path)
        query = params
        while url is not None:
            page = await self._get_page(url, query, priority, operation)
            if not isinstance(page.body, list):
                raise MerakiError(f"{operation}: expected a list from the API", operation=operation)
            items.extend(page.body)
            url = self._checked_link(page.next_url, operation) if page.next_url else None
            query = ()  # the next link carries its own query
        return items

    async def _get_page(
        self, url: httpx.URL, params: Params, priority: Priority, operation: str
    ) -> Page:
        key = ("GET", str(url), tuple(params))
        return await self._pages.run(
            key, lambda: self._call("GET", url, params, None, priority, operation)
        )

    async def _call(
        self,
        method: str,
        url: httpx.URL,
        params: Params,
        body: dict[str, Any] | None,
        priority: Priority,
        operation: str,
    ) -> Page:
        redirects = 0
        while True:
            response = await self._send(method, url, params, body, priority, operation)
            location = response.headers.get("location")
            if 300 <= response.status_code < 400 and location and redirects < _MAX_REDIRECTS:
                redirects += 1
                url = self._checked_link(str(response.url.join(location)), operation)
                params = ()
                continue
            return self._decode(response, operation)

    async def _send(
        self,
        method: str,
        url: httpx.URL,
        params: Params,
        body: dict[str, Any] | None,
        priority: Priority,
        operation: str,
    ) -> httpx.Response:
        failures = 0
        last_status: int | None = None
        limited_since: float | None = None
        seq: int | None = None
        while True:
            asked = time.monotonic()
            slot = await self.budget.acquire(priority, seq=seq)
            sent = time.monotonic()
            seq = slot.seq
            failure: str
            hint: float | None = None
            try:
                response = await self._http.request(
                    method,
                    url,
                    params=list(params) if params else None,
                    json=body,
                    headers=self._headers(),
                    timeout=self._timeout,
                    extensions={"trace": slot.trace},
                )
            except httpx.TimeoutException:
                failure, last_status = "timed out", None
                self._record(Attempt(operation, "timeout", priority, sent - asked, _since(sent)))
            except httpx.RequestError as exc:  # refused, reset, dropped mid-body, garbled
                failure, last_status = f"connection failed ({type(exc).__name__})", None
                outcome = "connection error"
                self._record(Attempt(operation, outcome, priority, sent - asked, _since(sent)))
            else:
                status = response.status_code
                self._record(Attempt(operation, str(status), priority, sent - asked, _since(sent)))
                log.debug("meraki %s %s -> %d", method, url.path, status)
                if status == 429:
                    retry_after = _retry_after(response) or _DEFAULT_RETRY_AFTER
                    now = self.budget.now()
                    limited_since = now if limited_since is None else limited_since
                    if now + retry_after - limited_since > self.policy.rate_limit_wait:
                        raise RateLimited(
                            f"{operation}: the organisation stayed rate limited for more "
                            f"than {self.policy.rate_limit_wait:g} s",
                            retry_after=retry_after,
                            operation=operation,
                        )
                    log.info("meraki %s rate limited; pausing %.1f s", operation, retry_after)
                    self.budget.pause_until(now + retry_after)
                    continue
                if status < 500:
                    return response
                failure, last_status, hint = f"HTTP {status}", status, _retry_after(response)
            finally:
                slot.release()
            failures += 1
            if failures >= self.policy.max_attempts:
                raise Unavailable(
                    f"{operation}: the Meraki cloud is unavailable ({failure}, "
                    f"{failures} attempts)",
                    status=last_status,
                    operation=operation,
                )
            backoff = self.policy.backoff(failures, self._rng)
            delay = max(backoff, min(hint or 0.0, self.policy.backoff_cap))
            log.info("meraki %s %s; retry %d in %.2f s", operation, failure, failures, delay)
            await asyncio.sleep(delay)

    def _record(self, attempt: Attempt) -> None:
        if self._observe is not None:
            self._observe(attempt)

    def _decode(self, response: httpx.Response, operation: str) -> Page:
        status = response.status_code
        if 200 <= status < 300:
            try:
                body = response.json() if response.content else None
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                raise Unavailable(
                    f"{operation}: the API answered with malformed JSON",
                    status=status,
                    operation=operation,
                ) from exc
            next_link = response.links.get("next", {}).get("url")
            return Page(body, next_link)
        raise error_for_status(status, operation, self._details(response))

    def _details(self, response: httpx.Response) -> list[str]:
        try:
            payload = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            return []
        errors = payload.get("errors") if isinstance(payload, dict) else None
        if not isinstance(errors, list):
            return []
        return [str(item).replace(self._api_key, "[redacted]") for item in errors]

    def _checked_link(self, link: str, operation: str) -> httpx.URL:
        """Refuse links that would carry the API key to another host."""
        url = self.base_url.join(link)
        base = self.base_url
        same_origin = (url.host, url.port) == (base.host, base.port)
        if url.scheme != base.scheme or not (same_origin or _same_realm(url.host, base.host)):
            raise MerakiError(
                f"{operation}: refusing to follow a link to another host ({url.host})",
                operation=operation,
            )
        return url

    def _headers(self) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self._api_key}",
            "Accept": "application/json",
            "User-Agent": "mvbot",
        }


def _same_realm(host: str, base_host: str) -> bool:
    """api.meraki.com may send us to n123.meraki.com; nowhere else."""
    if base_host.count(".") < 2 or base_host.replace(".", "").isdigit():
        return False
    return host.endswith("." + base_host.split(".", 1)[1])


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def _since(start: float) -> float:
    return time.monotonic() - start
