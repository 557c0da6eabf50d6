"""Losing an app slot: a crash (kill -9) and a graceful stop (SIGTERM) under load."""

from __future__ import annotations

import asyncio
import uuid

import httpx

from tests.chaos import harness
from tests.chaos.harness import ChaosStack, ScenarioReport, lost_writes, record
from tests.chaos.load import API, mixed_calls, run_load
from tests.factories.accounts import Account, register


async def test_kill_9_of_one_slot_fails_no_get(healthy: ChaosStack) -> None:
    """HAProxy replays a GET whose slot died (empty response, refused connection) on the
    other slot (`retry-on` + `redispatch`), and its health check takes the dead slot out."""
    load = asyncio.create_task(
        run_load(healthy.http, mixed_calls(), count=400, rate_per_s=40, time_cap_s=12)
    )
    await asyncio.sleep(3)
    killed = healthy.kill9("app-blue")
    result = await load
    lost = await lost_writes(healthy, result)
    failed_reads = result.failed("read")
    record(
        ScenarioReport(
            "kill-9-app-slot",
            sent=len(result.outcomes),
            failed=len(result.failed()),
            refused=0,
            writes_acknowledged=len(result.acknowledged_writes()),
            writes_lost=len(lost),
            details={
                "killed_pid": killed,
                "failed_reads": len(failed_reads),
                # A POST the dying slot was running cannot be replayed safely: it may fail,
                # but it is then not acknowledged, so nothing is lost.
                "failed_writes": len(result.failed("write")),
                **result.summary(),
            },
        )
    )
    assert result.of("read"), "the load sent no reads"
    assert failed_reads == [], [(o.call.path, o.status, o.error) for o in failed_reads[:5]]
    assert lost == []
    # supervisord restarts the crashed slot and HAProxy takes it back.
    assert healthy.pid("app-blue") != killed


async def _slow_checkout(http: str, user: Account) -> httpx.Response:
    headers = {**user.headers, "Idempotency-Key": f"sigterm-{uuid.uuid4().hex}"}
    async with httpx.AsyncClient(base_url=http, timeout=30) as client:
        return await client.post(f"{API}/subscriptions", json={"plan": "premium"}, headers=headers)


async def test_sigterm_lets_in_flight_requests_finish(healthy: ChaosStack) -> None:
    """supervisord stops a slot with SIGTERM: uvicorn stops accepting, finishes what it is
    serving (slow checkouts: the provider takes 0.7 s), then exits. Nothing in flight fails."""
    async with httpx.AsyncClient(base_url=healthy.http, timeout=30) as client:
        users = [await register(client, healthy.outbox) for _ in range(8)]
    healthy.provider.set_mode("slow", delay_s=0.7)
    try:
        load = asyncio.create_task(
            run_load(healthy.http, mixed_calls(), count=300, rate_per_s=30, time_cap_s=10)
        )
        await asyncio.sleep(2)
        slow = [asyncio.create_task(_slow_checkout(healthy.http, u)) for u in users]
        await asyncio.sleep(0.3)  # the checkouts are now inside the slots
        await asyncio.to_thread(healthy.stop, "app-green")  # SIGTERM, waits for the exit
        checkouts = await asyncio.gather(*slow)
        result = await load
    finally:
        healthy.provider.set_mode("up")
    lost = await lost_writes(healthy, result)
    failed = result.failed()
    record(
        ScenarioReport(
            "sigterm-app-slot",
            sent=len(result.outcomes) + len(checkouts),
            failed=len(failed) + sum(r.status_code >= 300 for r in checkouts),
            refused=0,
            writes_acknowledged=len(result.acknowledged_writes()),
            writes_lost=len(lost),
            details={
                "slow_checkouts": [r.status_code for r in checkouts],
                **result.summary(),
            },
        )
    )
    assert [r.status_code for r in checkouts] == [201] * len(users)
    assert failed == [], [(o.call.path, o.status, o.error) for o in failed[:5]]
    assert lost == []
    assert harness.SERVER_UP not in healthy.server_states()["green"]
