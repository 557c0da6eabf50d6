"""Issue #24 on the stack: HAProxy -> uvicorn -> PgBouncer -> PostgreSQL, Redis, and the
queue's own worker process, with the sandbox provider posting its signed webhooks over HTTP.

Refunds, payouts and reconciliation are worker jobs here (not eager): the tests poll for
their results, bounded in count and time, and assert counts of rows and of metric samples."""

from __future__ import annotations

import json
import re
import time
import uuid
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from fixia.config import PaymentSettings, Settings
from fixia.db import create_engine, session_factory, transactional
from fixia.payments.providers.sandbox import SandboxProvider
from fixia.queue.defer import defer
from tests.factories.accounts import Account, register
from tests.factories.admin import promote_to_admin
from tests.factories.catalog import DbExec, sql_value
from tests.factories.payments import API, sandbox_checkout, send
from tests.functional.payments.test_milestones import (
    fund,
    link_payout_account,
    milestone,
    plan_job,
    report,
)
from tests.stack import RunningStack, eventually

pytestmark = pytest.mark.stack
KINDS = "SELECT kind, count(*) FROM ledger_entries GROUP BY kind"


def stack_sandbox(running: RunningStack) -> SandboxProvider:
    """The sandbox as the stack's app runs it (same webhook secret): it signs replays."""
    state = json.loads((running.state / "stack.json").read_text())
    payments = PaymentSettings(
        sandbox_checkout=True, webhook_secret=SecretStr(state["webhook_secret"])
    )
    return SandboxProvider(Settings(env="test", public_url=running.http, payments=payments))


async def kinds(db_exec: DbExec) -> dict[str, int]:
    return {str(k): int(str(n)) for k, n in await db_exec(KINDS)}


async def paid_out(client: httpx.AsyncClient, pro: Account, amount: str) -> bool:
    return bool((await report(client, pro))["paid"] == amount)


async def test_fund_approve_and_payout(
    client: httpx.AsyncClient, settings: Settings, outbox: Path, db_exec: DbExec
) -> None:
    payer, pro, job_id, plan = await plan_job(client, settings, outbox, ["400.00", "200.00"])
    await link_payout_account(client, pro)
    await fund(client, payer, plan[0]["id"])
    assert (await milestone(client, payer, job_id, 0))["held"] == "400.00"
    for step, who in (("done", pro), ("approve", payer)):
        r = await client.post(f"{API}/milestones/{plan[0]['id']}/{step}", headers=who.headers)
        assert r.status_code == 200, r.text
    await eventually(lambda: paid_out(client, pro, "360.00"), "pay 360.00 out")
    paid = await report(client, pro)
    assert (paid["payable"], paid["in_transit"]) == ("0.00", "0.00")
    assert [p["status"] for p in paid["payouts"]] == ["paid"]
    assert await kinds(db_exec) == {
        "fund": 1, "release": 1, "payout": 1, "payout_settled": 1,
    }  # fmt: skip


async def test_dispute_then_partial_refund(
    client: httpx.AsyncClient, settings: Settings, outbox: Path, db_exec: DbExec
) -> None:
    payer, pro, job_id, plan = await plan_job(client, settings, outbox, ["300.00"])
    only = plan[0]["id"]
    await link_payout_account(client, pro)
    await fund(client, payer, only)
    reason = {"reason": "Quedó una pérdida en la cañería"}
    r = await client.post(f"{API}/milestones/{only}/dispute", json=reason, headers=payer.headers)
    assert r.json()["status"] == "disputed", r.text
    boss = await register(client, outbox, "client")
    await promote_to_admin(client, db_exec, boss)
    body = {"outcome": "partial", "refund_amount": "100.00"}
    r = await client.post(f"{API}/admin/milestones/{only}/resolve", json=body, headers=boss.headers)
    assert r.status_code == 200, r.text

    async def settled() -> bool:
        return (await kinds(db_exec)).get("refund_settled") == 1

    await eventually(settled, "settle the refund at the provider")
    await eventually(lambda: paid_out(client, pro, "180.00"), "pay the released 180.00 out")
    m = await milestone(client, payer, job_id, 0)
    assert (m["status"], m["held"], m["refunded_amount"]) == ("released", "0.00", "100.00")
    assert await kinds(db_exec) == {
        "fund": 1, "refund": 1, "refund_settled": 1, "release": 1, "payout": 1,
        "payout_settled": 1,
    }  # fmt: skip
    audit = "SELECT count(*) FROM audit_log WHERE target_id = :t AND action = :a"
    assert await db_exec(audit, t=sql_value(settings, only), a="milestone.resolved") == [(1,)]


async def test_replayed_and_out_of_order_webhooks_never_credit_twice(
    client: httpx.AsyncClient,
    settings: Settings,
    outbox: Path,
    db_exec: DbExec,
    running_stack: RunningStack,
) -> None:
    sandbox = stack_sandbox(running_stack)
    payer, _, job_id, plan = await plan_job(client, settings, outbox, ["250.50", "49.50"])
    funded = await fund(client, payer, plan[0]["id"])
    for _ in range(3):
        r = await send(client, sandbox.signed_webhook(funded["provider_payment_id"]))
        assert r.status_code == 200, r.text
    assert (await milestone(client, payer, job_id, 0))["held"] == "250.50"
    # The second milestone is charged back; the chargeback, its replays and then the older
    # approval arrive: the money goes back once and the late approval changes nothing.
    second = await fund(client, payer, plan[1]["id"])
    back = await sandbox_checkout_refunded(client, payer, second["preference_id"])
    for provider_id in (back, back, second["provider_payment_id"]):
        r = await send(client, sandbox.signed_webhook(provider_id))
        assert r.status_code == 200, r.text
    m = await milestone(client, payer, job_id, 1)
    assert (m["status"], m["held"]) == ("refunded", "0.00")
    assert await kinds(db_exec) == {"fund": 2, "chargeback": 1}
    events = "SELECT count(*), sum(CASE WHEN applied THEN 1 ELSE 0 END) FROM payment_events"
    [(total, applied)] = await db_exec(events)
    # Every change is recorded: the 2 checkouts opened (pending), the 2 approvals and the
    # refund applied; the 6 replayed or late notices recorded and not applied.
    assert (total, applied) == (11, 5)


async def sandbox_checkout_refunded(
    client: httpx.AsyncClient, payer: Account, preference_id: str
) -> str:
    body = await sandbox_checkout(client, payer, preference_id, outcome="refunded")
    return str(body["provider_payment_id"])


def mismatches(running: RunningStack, kind: str) -> float:
    """fixia_money_reconciliation_mismatches_total{kind} summed over the stack's workers."""
    total = 0.0
    pattern = re.compile(
        rf'^fixia_money_reconciliation_mismatches_total\{{kind="{kind}"\}} (\S+)$', re.M
    )
    for name in ("worker-blue", "worker-green"):
        try:
            body = httpx.get(f"http://127.0.0.1:{running.ports[name]}/metrics", timeout=5).text
        except (httpx.HTTPError, KeyError):
            continue  # a slot without a running worker
        total += sum(float(v) for v in pattern.findall(body))
    return total


async def run_reconciliation(settings: Settings) -> str:
    """What the nightly cron does: one money.reconcile job, for the worker. Its timestamp."""
    stamp = int(time.time())
    engine = create_engine(settings)
    try:
        async with transactional(session_factory(engine)) as session:
            await defer(session, "money.reconcile", timestamp=stamp)
    finally:
        await engine.dispose()
    return str(stamp)


async def test_reconciliation_catches_an_injected_mismatch(
    client: httpx.AsyncClient,
    settings: Settings,
    outbox: Path,
    db_exec: DbExec,
    running_stack: RunningStack,
) -> None:
    payer, _, _, plan = await plan_job(client, settings, outbox, ["120.00"])
    funded = await fund(client, payer, plan[0]["id"])
    before = mismatches(running_stack, "amount")
    await db_exec(
        "UPDATE payments SET amount = :a WHERE id = :i",
        a=sql_value(settings, Decimal("121.00")),
        i=sql_value(settings, uuid.UUID(funded["payment_id"])),
    )
    stamp = await run_reconciliation(settings)
    done = (
        "SELECT count(*) FROM procrastinate_jobs WHERE task_name = 'money.reconcile'"
        " AND status = 'succeeded' AND args->>'timestamp' = :ts"
    )

    async def finished() -> bool:
        return await db_exec(done, ts=stamp) == [(1,)]

    await eventually(finished, "run the reconciliation")
    assert mismatches(running_stack, "amount") == before + 1
