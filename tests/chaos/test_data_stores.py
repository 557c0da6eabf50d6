"""Redis, PgBouncer and PostgreSQL restarted under load."""

from __future__ import annotations

import asyncio
import time

import httpx

from tests.chaos.harness import ChaosStack, ScenarioReport, lost_writes, record
from tests.chaos.load import LoadResult, mixed_calls, run_load

RECOVERY_GOAL_S = 10.0


def _report(name: str, result: LoadResult, lost: list[str], **details: object) -> None:
    record(
        ScenarioReport(
            name,
            sent=len(result.outcomes),
            failed=len(result.failed(allow_refusals=True)),
            refused=sum(o.refused for o in result.outcomes),
            writes_acknowledged=len(result.acknowledged_writes()),
            writes_lost=len(lost),
            details={**details, **result.summary()},
        )
    )


async def _outage(chaos: ChaosStack, component: str, *, down_s: float) -> LoadResult:
    load = asyncio.create_task(
        run_load(chaos.http, mixed_calls(), count=400, rate_per_s=30, time_cap_s=12)
    )
    await asyncio.sleep(2)
    await asyncio.to_thread(chaos.stop, component)
    await asyncio.sleep(down_s)
    await asyncio.to_thread(chaos.start, component)
    return await load


async def test_redis_restart_causes_no_error(healthy: ChaosStack) -> None:
    """The cache fails open (served from PostgreSQL) and the rate limiter fails open, or to
    its in-process window for login; both go back to Redis by themselves."""
    result = await _outage(healthy, "redis", down_s=4)
    lost = await lost_writes(healthy, result)
    failed = result.failed()
    _report("redis-restart", result, lost)
    assert failed == [], [(o.call.path, o.status, o.error) for o in failed[:5]]
    assert lost == []


async def test_pgbouncer_restart(healthy: ChaosStack) -> None:
    """PgBouncer gone: requests that need the database get a clean 503 (never a 500), the
    slots report not ready, and all is well once it is back; no acknowledged write is lost."""
    result = await _outage(healthy, "pgbouncer", down_s=3)
    lost = await lost_writes(healthy, result)
    failed = result.failed(allow_refusals=True)
    _report("pgbouncer-restart", result, lost)
    assert failed == [], [(o.call.path, o.status, o.error) for o in failed[:5]]
    assert lost == []
    healthy.wait_until("ready after PgBouncer", healthy.ready, RECOVERY_GOAL_S)


async def _poll_ready(chaos: ChaosStack, until: float) -> list[tuple[float, bool]]:
    seen = []
    async with httpx.AsyncClient(base_url=chaos.http, timeout=3) as client:
        while time.monotonic() < until:
            try:
                ready = (await client.get("/readyz")).status_code == 200
            except httpx.HTTPError:
                ready = False
            seen.append((time.monotonic(), ready))
            await asyncio.sleep(0.25)
    return seen


async def test_postgres_restart(healthy: ChaosStack) -> None:
    """Readiness turns false during the outage; requests get 503 problem+json with
    Retry-After; the service is ready again within 10 s of PostgreSQL's return; no
    acknowledged write is lost."""
    load = asyncio.create_task(
        run_load(healthy.http, mixed_calls(), count=450, rate_per_s=30, time_cap_s=15)
    )
    probe = asyncio.create_task(_poll_ready(healthy, time.monotonic() + 16))
    await asyncio.sleep(2)
    await asyncio.to_thread(healthy.stop, "postgres")
    await asyncio.sleep(5)
    await asyncio.to_thread(healthy.start, "postgres")
    back_at = time.monotonic()
    result, readiness = await asyncio.gather(load, probe)
    recovered = next((t for t, ok in readiness if ok and t > back_at), None)
    lost = await lost_writes(healthy, result)
    failed = result.failed(allow_refusals=True)
    refused = [o for o in result.outcomes if o.refused]
    recovery_s = None if recovered is None else round(recovered - back_at, 2)
    _report("postgres-restart", result, lost, recovery_s=recovery_s)
    assert any(not ok for _, ok in readiness), "/readyz never reported the outage"
    assert refused, "no request was refused with 503 problem+json and Retry-After"
    assert failed == [], [(o.call.path, o.status, o.error) for o in failed[:5]]
    assert recovery_s is not None and recovery_s <= RECOVERY_GOAL_S, recovery_s
    assert lost == []
