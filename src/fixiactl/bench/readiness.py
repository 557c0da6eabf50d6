"""Bring the stack to a known state between runs: idle, and with warm caches where asked.

uvicorn finishes requests whose clients have gone, so without waiting one run's backlog
(slow searches still executing) would land in the next run's numbers.
"""

from __future__ import annotations

import asyncio
import time

import httpx

from fixiactl.bench.dataset import Db

SETTLE_MAX_S, SETTLE_QUICK_S, SETTLE_STREAK = 120.0, 0.2, 3
# As many warming requests at once as the box has cores: more only queues in the app.
WARM_CONCURRENCY, WARM_MAX_S = 2, 180.0
ACTIVE_QUERIES = (
    "select count(*) from pg_stat_activity"
    " where usename = 'fixia' and state = 'active' and pid <> pg_backend_pid()"
)


def _idle_once(port: int, db: Db) -> bool:
    t0 = time.monotonic()
    try:
        ok = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False
    quick = time.monotonic() - t0 < SETTLE_QUICK_S
    return ok and quick and db.scalar(ACTIVE_QUERIES) == "0"


def settle(port: int, db: Db) -> float:
    """Seconds until HAProxy answers /readyz quickly and PostgreSQL runs no app query, a few
    times in a row. Bounded: after SETTLE_MAX_S the run goes on and the wait is reported."""
    started = time.monotonic()
    streak = 0
    while streak < SETTLE_STREAK and time.monotonic() - started < SETTLE_MAX_S:
        streak = streak + 1 if _idle_once(port, db) else 0
        time.sleep(0.3)
    return round(time.monotonic() - started, 1)


async def _warm(port: int, paths: list[str]) -> int:
    limit = asyncio.Semaphore(WARM_CONCURRENCY)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:

        async def one(path: str) -> bool:
            async with limit:
                try:
                    return (await http.get(path)).status_code == 200
                except httpx.HTTPError:
                    return False

        results = await asyncio.gather(*(one(p) for p in paths))
    return sum(results)


def warm(port: int, paths: list[str]) -> int:
    """GET each path once (a few at a time) so the cache holds it; returns how many got 200."""
    try:
        return asyncio.run(asyncio.wait_for(_warm(port, paths), WARM_MAX_S))
    except TimeoutError:
        return 0
