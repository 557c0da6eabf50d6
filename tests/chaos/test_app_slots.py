"""Losing an app slot: a crash (kill -9) and a graceful stop (SIGTERM) under load."""

from __future__ import annotations

import asyncio
import time
import uuid

import httpx

from tests.chaos import harness
from tests.chaos.harness import ChaosStack, ScenarioReport, lost_writes, record
from tests.chaos.load import API, mixed_calls, run_load, unique_identity
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


async def _slow_checkout(base_url: str, user: Account) -> httpx.Response:
    headers = {**user.headers, "Idempotency-Key": f"sigterm-{uuid.uuid4().hex}"}
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        return await client.post(f"{API}/subscriptions", json={"plan": "premium"}, headers=headers)


async def _wait_provider_calls(chaos: ChaosStack, at_least: int, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while chaos.provider.requests < at_least:
        assert time.monotonic() < deadline, "the checkouts never reached the provider"
        await asyncio.sleep(0.05)


async def test_sigterm_lets_in_flight_requests_finish(healthy: ChaosStack) -> None:
    """supervisord stops a slot with SIGTERM while it serves slow checkouts (the provider
    takes 0.6 s, within its 1 s timeout): uvicorn stops accepting, finishes them, then exits.
    The checkouts go to the green slot directly, so they are certainly in flight there; the
    rest of the traffic goes through HAProxy, which moves it to blue: no read fails."""
    async with httpx.AsyncClient(base_url=healthy.http, timeout=30) as client:
        users = [await register(client, healthy.outbox, **unique_identity()) for _ in range(6)]
    green = f"http://127.0.0.1:{healthy.stack.ports['green']}"
    healthy.provider.set_mode("slow", delay_s=0.6)
    try:
        load = asyncio.create_task(
            run_load(healthy.http, mixed_calls(), count=300, rate_per_s=30, time_cap_s=10)
        )
        await asyncio.sleep(1)
        before = healthy.provider.requests
        slow = [asyncio.create_task(_slow_checkout(green, u)) for u in users]
        # Every checkout is inside the slot, waiting on the provider, when SIGTERM lands.
        await _wait_provider_calls(healthy, before + len(users), timeout_s=10)
        stopping = asyncio.create_task(asyncio.to_thread(healthy.stop, "app-green"))
        checkouts = await asyncio.gather(*slow)
        await stopping
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
            writes_acknowledged=len(result.acknowledged_writes()) + len(checkouts),
            writes_lost=len(lost),
            details={
                "in_flight_checkouts": [r.status_code for r in checkouts],
                "failed_reads": len(result.failed("read")),
                "failed_writes": len(result.failed("write")),
                **result.summary(),
            },
        )
    )
    assert [r.status_code for r in checkouts] == [201] * len(users), [r.text for r in checkouts]
    # Reads through HAProxy never fail. A POST that HAProxy sent to green on a pooled
    # keep-alive connection at the instant uvicorn closed it cannot be replayed safely, so
    # HAProxy drops it (the client sees a closed connection) — never acknowledged, never lost.
    # Deploys avoid even that by draining the slot in HAProxy before the SIGTERM.
    failed_reads = result.failed("read")
    assert failed_reads == [], [(o.call.path, o.status, o.error) for o in failed_reads[:5]]
    assert len(result.failed("write")) <= 3, [(o.status, o.error) for o in failed]
    assert lost == []
    paid = await healthy.fetch(
        "select count(*) from subscriptions where user_id = any($1::uuid[])", [u.id for u in users]
    )
    assert paid[0][0] == len(users), "an acknowledged checkout was not committed"
    assert harness.SERVER_UP not in healthy.server_states()["green"]
