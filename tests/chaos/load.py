"""A bounded loopback load generator that records every request's outcome.

Requests are paced (`rate_per_s`), capped in number (`count`) and in time (`time_cap_s`), and
limited in concurrency, so a scenario's load is the same on a fast or a slow machine and can
never run away. Each outcome keeps what a scenario needs to judge it afterwards.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.factories.accounts import registration

API = "/api/v1"
PROBLEM_JSON = "application/problem+json"
# DNIs are unique per user: a random block per process keeps runs against one stack apart.
_dni = itertools.count(random.randrange(10_000_000, 90_000_000, 100_000))


def next_dni() -> str:
    return str(next(_dni))


def unique_identity() -> dict[str, str]:
    """E-mail and DNI no other run against the same stack has used."""
    return {"email": f"chaos-{uuid.uuid4().hex[:12]}@example.com.ar", "dni": next_dni()}


@dataclass(frozen=True)
class Call:
    """One request to make: `kind` is "read" or "write"; `key` names what a write creates."""

    kind: str
    method: str
    path: str
    json: dict[str, Any] | None = None
    params: dict[str, str] | None = None
    key: str | None = None


@dataclass
class Outcome:
    call: Call
    started: float
    elapsed: float
    status: int | None = None
    error: str | None = None
    content_type: str = ""
    retry_after: str | None = None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def refused(self) -> bool:
        """A clean "come back later": 503 problem+json with Retry-After, never a failure
        of the contract (the PostgreSQL outage expects these)."""
        return (
            self.status == 503
            and self.content_type.startswith(PROBLEM_JSON)
            and self.retry_after is not None
        )


@dataclass
class LoadResult:
    outcomes: list[Outcome] = field(default_factory=list)
    capped: bool = False

    def of(self, kind: str) -> list[Outcome]:
        return [o for o in self.outcomes if o.call.kind == kind]

    def failed(self, kind: str | None = None, *, allow_refusals: bool = False) -> list[Outcome]:
        pool = self.outcomes if kind is None else self.of(kind)
        return [o for o in pool if not o.ok and not (allow_refusals and o.refused)]

    def acknowledged_writes(self) -> list[str]:
        return [o.call.key for o in self.of("write") if o.ok and o.call.key]

    def summary(self) -> dict[str, Any]:
        statuses: dict[str, int] = {}
        for o in self.outcomes:
            label = str(o.status) if o.status is not None else (o.error or "error")
            statuses[label] = statuses.get(label, 0) + 1
        first_failures = [
            f"{o.started:.1f}s {o.call.method} {o.call.path} -> {o.status or o.error}"
            for o in self.failed(allow_refusals=True)[:10]
        ]
        return {"statuses": statuses, "time_capped": self.capped, "failures": first_failures}


def mixed_calls(*, write_every: int = 4, tag: str | None = None) -> Callable[[int], Call]:
    """Reads of the catalogue (cached and uncached) with a registration every `write_every`
    requests; every acknowledged registration must exist in the database afterwards."""
    run = tag or uuid.uuid4().hex[:6]
    reads = itertools.cycle(
        [
            Call("read", "GET", f"{API}/categories"),
            Call("read", "GET", f"{API}/services", params={"q": "plomero"}),
            Call("read", "GET", "/healthz"),
        ]
    )

    def plan(i: int) -> Call:
        if write_every and i % write_every == write_every - 1:
            body = registration("client", email=f"chaos-{run}-{i}@example.com.ar", dni=next_dni())
            return Call("write", "POST", f"{API}/auth/register", json=body, key=body["email"])
        call = next(reads)
        if call.params:
            # A fresh query every time misses the cache: the read reaches PostgreSQL.
            return Call("read", "GET", call.path, params={"q": f"plomero {run} {i}"})
        return call

    return plan


async def _one(client: httpx.AsyncClient, call: Call, t0: float) -> Outcome:
    started = time.monotonic()
    outcome = Outcome(call=call, started=started - t0, elapsed=0.0)
    try:
        response = await client.request(call.method, call.path, json=call.json, params=call.params)
    except httpx.HTTPError as error:
        outcome.error = type(error).__name__
    else:
        outcome.status = response.status_code
        outcome.content_type = response.headers.get("content-type", "")
        outcome.retry_after = response.headers.get("retry-after")
    outcome.elapsed = time.monotonic() - started
    return outcome


async def run_load(
    base_url: str,
    plan: Callable[[int], Call],
    *,
    count: int,
    rate_per_s: float,
    time_cap_s: float,
    concurrency: int = 16,
    request_timeout_s: float = 15.0,
) -> LoadResult:
    """Send up to `count` requests at `rate_per_s`; stop launching at `time_cap_s`."""
    result = LoadResult()
    gate = asyncio.Semaphore(concurrency)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(
        base_url=base_url, timeout=request_timeout_s, limits=limits
    ) as client:
        t0 = time.monotonic()

        async def guarded(call: Call) -> None:
            async with gate:
                result.outcomes.append(await _one(client, call, t0))

        tasks = []
        for i in range(count):
            due = t0 + i / rate_per_s
            if max(due, time.monotonic()) - t0 > time_cap_s:
                result.capped = True
                break
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            tasks.append(asyncio.create_task(guarded(plan(i))))
        await asyncio.gather(*tasks)
    result.outcomes.sort(key=lambda o: o.started)
    return result
