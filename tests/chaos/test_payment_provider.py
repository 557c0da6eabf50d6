"""The payment provider slow, then down, then back: timeouts, the circuit breaker, a clear
503 at checkout, and idempotency keys that keep retries from paying twice."""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass

import httpx

from tests.chaos.conftest import BREAKER_RESET_S, PAYMENT_TIMEOUT_S
from tests.chaos.harness import ChaosStack, ScenarioReport, lost_writes, record
from tests.chaos.load import API, PROBLEM_JSON, mixed_calls, run_load, unique_identity
from tests.factories.accounts import Account, register

USERS = 6


@dataclass
class Attempt:
    phase: str
    status: int
    elapsed: float
    body: dict[str, object]
    retry_after: str | None
    content_type: str

    @property
    def clear_503(self) -> bool:
        return (
            self.status == 503
            and self.content_type.startswith(PROBLEM_JSON)
            and self.body.get("code") == "payment_provider_unavailable"
            and self.retry_after is not None
        )


async def _checkout(client: httpx.AsyncClient, user: Account, key: str, phase: str) -> Attempt:
    headers = {**user.headers, "Idempotency-Key": key}
    started = time.monotonic()
    r = await client.post(f"{API}/subscriptions", json={"plan": "premium"}, headers=headers)
    return Attempt(
        phase,
        r.status_code,
        time.monotonic() - started,
        r.json(),
        r.headers.get("retry-after"),
        r.headers.get("content-type", ""),
    )


async def _round(
    client: httpx.AsyncClient, users: list[Account], keys: dict[str, str], phase: str
) -> list[Attempt]:
    # One at a time: each slot's breaker then sees a predictable sequence of failures.
    return [await _checkout(client, u, keys[u.id], phase) for u in users]


async def test_payment_provider_slow_then_down(healthy: ChaosStack) -> None:
    async with httpx.AsyncClient(base_url=healthy.http, timeout=30) as client:
        users = [await register(client, healthy.outbox, **unique_identity()) for _ in range(USERS)]
        keys = {u.id: f"chaos-pay-{uuid.uuid4().hex}" for u in users}
        load = asyncio.create_task(
            run_load(healthy.http, mixed_calls(), count=600, rate_per_s=20, time_cap_s=40)
        )
        try:
            # Slow: twice the timeout. The provider still creates each preference (a slow
            # provider is not a dead one), which is what makes a blind retry dangerous.
            healthy.provider.set_mode("slow", delay_s=2 * PAYMENT_TIMEOUT_S)
            slow = await _round(client, users, keys, "slow")
            healthy.provider.set_mode("down")
            # Past the reset time each breaker lets one probe through: it meets a closed
            # port (connection refused) and the breaker opens again.
            await asyncio.sleep(BREAKER_RESET_S + 0.5)
            down = await _round(client, users, keys, "down")
            healthy.provider.set_mode("up")
            await asyncio.sleep(BREAKER_RESET_S + 0.5)  # the breakers may probe again
            recovered = await _round(client, users, keys, "recovered")
            replayed = await _round(client, users, keys, "replayed")
        finally:
            healthy.provider.set_mode("up")
            result = await load
    payments = await healthy.fetch(
        "select payer_id::text, id::text, status from payments where payer_id = any($1::uuid[])",
        [u.id for u in users],
    )
    failing = [a for a in slow + down if not a.clear_503]
    lost = await lost_writes(healthy, result)
    duplicates = {p["id"]: healthy.provider.per_reference[p["id"]] for p in payments}
    record(
        ScenarioReport(
            "payment-provider",
            sent=len(result.outcomes) + 4 * USERS,
            failed=len(result.failed()) + len(failing),
            refused=len(slow + down) - len(failing),
            writes_acknowledged=len(result.acknowledged_writes()) + USERS,
            writes_lost=len(lost) + USERS - len(payments),
            details={
                "slow": [(a.status, round(a.elapsed, 2), a.body.get("detail")) for a in slow],
                "down": [(a.status, round(a.elapsed, 2), a.body.get("detail")) for a in down],
                "recovered": [a.status for a in recovered],
                "replayed": [a.status for a in replayed],
                "preferences_per_payment": duplicates,
                **result.summary(),
            },
        )
    )
    # A clear 503 (problem+json, Retry-After) for every checkout while the provider fails.
    assert failing == [], [(a.phase, a.status, a.body) for a in failing]
    details = [str(a.body.get("detail")) for a in slow]
    # Timeouts fired (each such answer took at least the timeout)...
    timed_out = [a for a in slow if "timed out" in str(a.body.get("detail"))]
    assert timed_out and all(a.elapsed >= PAYMENT_TIMEOUT_S for a in timed_out), details
    # ...then the breaker opened: refusals without waiting for the provider at all.
    opened = [a for a in slow + down if "failing" in str(a.body.get("detail"))]
    assert opened and min(a.elapsed for a in opened) < PAYMENT_TIMEOUT_S, details
    # Back: the same keys now succeed, a replay returns the same payment, and no payment
    # (nor provider preference) exists twice.
    assert [a.status for a in recovered] == [201] * USERS, [a.body for a in recovered]
    assert [a.status for a in replayed] == [200] * USERS
    assert sorted(p["payer_id"] for p in payments) == sorted(u.id for u in users)
    assert set(duplicates.values()) == {1}, duplicates
    assert result.failed() == [] and lost == []
