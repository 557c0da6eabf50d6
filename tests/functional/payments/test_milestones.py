"""Milestones through HTTP: a plan both parties agree, funds held by a signed webhook,
release to a linked payout account, disputes that freeze and an admin's partial refund.

The sandbox delivers its webhooks into the app; refund and payout jobs run eagerly after
each commit, through the sandbox provider."""

from __future__ import annotations

import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from fastapi import FastAPI

from fixia.config import Settings
from fixia.db import transactional, utcnow
from fixia.money import ledger, reconcile, service
from tests.factories.accounts import Account, register
from tests.factories.admin import promote_to_admin
from tests.factories.catalog import DbExec, expect_problem, sql_value
from tests.factories.payments import API, create_job, new_key, pay_job, sandbox_checkout, send

pytestmark = pytest.mark.inprocess


async def plan_job(
    client: httpx.AsyncClient, settings: Settings, outbox: Path, amounts: list[str]
) -> tuple[Account, Account, str, list[dict[str, Any]]]:
    payer = await register(client, outbox, "client")
    pro = await register(client, outbox, "professional")
    price = str(sum(Decimal(a) for a in amounts))
    job_id = await create_job(settings, client=payer, professional=pro, agreed_price=price)
    plan = {"milestones": [{"title": f"Etapa {n}", "amount": a} for n, a in enumerate(amounts)]}
    r = await client.put(f"{API}/jobs/{job_id}/milestones", json=plan, headers=pro.headers)
    assert r.status_code == 200, r.text
    r = await client.post(f"{API}/jobs/{job_id}/milestones/accept", headers=payer.headers)
    assert r.status_code == 200, r.text
    assert {m["status"] for m in r.json()} == {"agreed"}
    return payer, pro, job_id, r.json()


async def fund(client: httpx.AsyncClient, payer: Account, milestone_id: str) -> dict[str, Any]:
    headers = {**payer.headers, "Idempotency-Key": new_key()}
    r = await client.post(f"{API}/milestones/{milestone_id}/fund", headers=headers)
    assert r.status_code == 201, r.text
    delivery = await sandbox_checkout(client, payer, r.json()["preference_id"])
    return {**r.json(), **delivery}


async def milestone(client: httpx.AsyncClient, who: Account, job_id: str, n: int) -> Any:
    r = await client.get(f"{API}/jobs/{job_id}/milestones", headers=who.headers)
    assert r.status_code == 200, r.text
    return r.json()[n]


async def link_payout_account(client: httpx.AsyncClient, pro: Account) -> None:
    r = await client.get(f"{API}/payouts/link", headers=pro.headers)
    assert r.status_code == 200, r.text
    query = parse_qs(urlparse(r.json()["url"]).query)
    body = {"code": query["code"][0], "state": query["state"][0]}
    r = await client.post(f"{API}/payouts/account", json=body, headers=pro.headers)
    assert r.status_code == 200, r.text


async def report(client: httpx.AsyncClient, pro: Account) -> dict[str, Any]:
    r = await client.get(f"{API}/payouts/mine", headers=pro.headers)
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()
    return data


async def test_a_plan_must_add_up_and_be_accepted_by_the_other_party(
    client: httpx.AsyncClient, settings: Settings, outbox: Path
) -> None:
    payer = await register(client, outbox, "client")
    pro = await register(client, outbox, "professional")
    job_id = await create_job(settings, client=payer, professional=pro, agreed_price="1000.00")
    short = {"milestones": [{"title": "Todo", "amount": "999.99"}]}
    r = await client.put(f"{API}/jobs/{job_id}/milestones", json=short, headers=pro.headers)
    expect_problem(r, 422, "plan_does_not_add_up")
    plan = {"milestones": [{"title": "A", "amount": "600.00"}, {"title": "B", "amount": "400"}]}
    r = await client.put(f"{API}/jobs/{job_id}/milestones", json=plan, headers=pro.headers)
    assert [m["status"] for m in r.json()] == ["proposed", "proposed"]
    r = await client.post(f"{API}/jobs/{job_id}/milestones/accept", headers=pro.headers)
    expect_problem(r, 403, "not_milestone_party")
    first = r = await client.get(f"{API}/jobs/{job_id}/milestones", headers=payer.headers)
    headers = {**payer.headers, "Idempotency-Key": new_key()}
    r = await client.post(f"{API}/milestones/{first.json()[0]['id']}/fund", headers=headers)
    expect_problem(r, 409, "milestone_state_conflict")  # not agreed yet


async def test_fund_approve_and_payout(
    client: httpx.AsyncClient, settings: Settings, outbox: Path
) -> None:
    payer, pro, job_id, plan = await plan_job(client, settings, outbox, ["600.00", "400.00"])
    first = plan[0]["id"]
    headers = {**pro.headers, "Idempotency-Key": new_key()}
    r = await client.post(f"{API}/milestones/{first}/fund", headers=headers)
    expect_problem(r, 403, "not_milestone_party")
    funded = await fund(client, payer, first)
    m = await milestone(client, payer, job_id, 0)
    assert (m["status"], m["held"]) == ("funded", "600.00")
    # The approve button before the professional is done is allowed; marking done is theirs.
    r = await client.post(f"{API}/milestones/{first}/done", headers=payer.headers)
    expect_problem(r, 403, "not_milestone_party")
    r = await client.post(f"{API}/milestones/{first}/done", headers=pro.headers)
    assert r.json()["status"] == "done"
    r = await client.post(f"{API}/milestones/{first}/approve", headers=payer.headers)
    assert (r.json()["status"], r.json()["held"]) == ("released", "0.00")
    assert funded["webhook_status"] == 200
    # No account linked yet: the money waits as payable (10 % commission kept).
    assert (await report(client, pro))["payable"] == "540.00"
    await link_payout_account(client, pro)
    paid = await report(client, pro)
    assert (paid["payable"], paid["in_transit"], paid["paid"]) == ("0.00", "0.00", "540.00")
    assert [p["status"] for p in paid["payouts"]] == ["paid"]


async def test_replayed_and_late_webhooks_never_credit_twice(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings, outbox: Path
) -> None:
    payer, _, job_id, plan = await plan_job(client, settings, outbox, ["250.50"])
    funded = await fund(client, payer, plan[0]["id"])
    sandbox = app.state.payment_provider
    replay = sandbox.signed_webhook(funded["provider_payment_id"])
    for _ in range(3):
        assert (await send(client, replay)).status_code == 200
    m = await milestone(client, payer, job_id, 0)
    assert (m["status"], m["held"]) == ("funded", "250.50")
    async with transactional(app.state.sessions) as session:
        assert await ledger.balance(session, ledger.PROVIDER_CLEARING) == 25050


async def disputed_milestone(
    client: httpx.AsyncClient, settings: Settings, outbox: Path, amount: str
) -> tuple[Account, Account, str]:
    """A funded one-milestone plan the client disputed; the professional has an account."""
    payer, pro, _, plan = await plan_job(client, settings, outbox, [amount])
    only: str = plan[0]["id"]
    await fund(client, payer, only)
    await link_payout_account(client, pro)
    reason = {"reason": "Quedó una pérdida en la cañería"}
    r = await client.post(f"{API}/milestones/{only}/dispute", json=reason, headers=payer.headers)
    assert r.json()["status"] == "disputed"
    return payer, pro, only


async def test_dispute_freezes_then_admin_refunds_part(
    client: httpx.AsyncClient, settings: Settings, outbox: Path, db_exec: DbExec
) -> None:
    payer, pro, only = await disputed_milestone(client, settings, outbox, "300.00")
    r = await client.post(f"{API}/milestones/{only}/approve", headers=payer.headers)
    expect_problem(r, 409, "milestone_state_conflict")
    boss = await register(client, outbox, "client")
    resolve = f"{API}/admin/milestones/{only}/resolve"
    r = await client.post(resolve, json={"outcome": "release"}, headers=payer.headers)
    assert r.status_code == 403
    await promote_to_admin(client, db_exec, boss)
    too_much = {"outcome": "partial", "refund_amount": "300.00"}
    expect_problem(
        await client.post(resolve, json=too_much, headers=boss.headers), 422, "invalid_refund"
    )
    body = {"outcome": "partial", "refund_amount": "100.00"}
    r = await client.post(resolve, json=body, headers=boss.headers)
    assert r.status_code == 200, r.text
    assert (r.json()["status"], r.json()["refunded_amount"]) == ("released", "100.00")
    rows = await db_exec("SELECT kind FROM ledger_entries ORDER BY created_at")
    kinds = [k for (k,) in rows]
    assert kinds.count("refund") == kinds.count("refund_settled") == 1
    # 200 released, 10 % fee: 180 paid out through the linked account.
    assert (await report(client, pro))["paid"] == "180.00"
    [(action,)] = await db_exec(
        "SELECT action FROM audit_log WHERE target_id = :t", t=sql_value(settings, only)
    )
    assert action == "milestone.resolved"


async def test_done_milestones_release_themselves_without_a_dispute(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings, outbox: Path
) -> None:
    payer, pro, job_id, plan = await plan_job(client, settings, outbox, ["80.00", "20.00"])
    for m in plan:
        await fund(client, payer, m["id"])
        await client.post(f"{API}/milestones/{m['id']}/done", headers=pro.headers)
    reason = {"reason": "No terminó esta parte"}
    await client.post(f"{API}/milestones/{plan[1]['id']}/dispute", json=reason,
                      headers=payer.headers)  # fmt: skip
    later = utcnow().replace(year=utcnow().year + 1)
    async with transactional(app.state.sessions) as session:
        assert await service.auto_release_due(session=session, settings=settings, now=later) == 1
    statuses = [(await milestone(client, payer, job_id, n))["status"] for n in (0, 1)]
    assert statuses == ["released", "disputed"]
    assert (await report(client, pro))["payable"] == "72.00"


async def test_reconciliation_catches_an_injected_mismatch(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings, outbox: Path, db_exec: DbExec
) -> None:
    payer, _, _, plan = await plan_job(client, settings, outbox, ["120.00"])
    funded = await fund(client, payer, plan[0]["id"])
    since = utcnow().replace(year=2000)
    provider = app.state.payment_provider
    assert await reconcile.run(app.state.sessions, provider, since) == []
    await db_exec(
        "UPDATE payments SET amount = :a WHERE id = :i",
        a=sql_value(settings, Decimal("121.00")),
        i=sql_value(settings, uuid.UUID(funded["payment_id"])),
    )
    found = await reconcile.run(app.state.sessions, provider, since)
    assert [(m.kind, m.subject) for m in found] == [("amount", funded["payment_id"])]


async def link_with_code(client: httpx.AsyncClient, pro: Account, code: str) -> None:
    r = await client.get(f"{API}/payouts/link", headers=pro.headers)
    state = parse_qs(urlparse(r.json()["url"]).query)["state"][0]
    body = {"code": code, "state": state}
    r = await client.post(f"{API}/payouts/account", json=body, headers=pro.headers)
    assert r.status_code == 200, r.text


async def test_a_failing_payout_is_retried_and_its_money_never_lost(
    client: httpx.AsyncClient, settings: Settings, outbox: Path
) -> None:
    payer, pro, _, plan = await plan_job(client, settings, outbox, ["50.00"])
    await link_with_code(client, pro, "sbxcode-rail-down")  # the sandbox's outage account
    await fund(client, payer, plan[0]["id"])
    r = await client.post(f"{API}/milestones/{plan[0]['id']}/approve", headers=payer.headers)
    assert r.status_code == 200
    stuck = await report(client, pro)
    assert (stuck["payable"], stuck["in_transit"], stuck["paid"]) == ("0.00", "45.00", "0.00")
    [payout] = stuck["payouts"]
    assert (payout["status"], payout["attempts"], payout["last_error"]) == (
        "pending",
        1,
        "ProviderUnavailable",
    )
    # The professional links a working account: the pending payout keeps its key and its
    # destination (a retry is the same transfer), so it is still the rail that must recover.
    await link_with_code(client, pro, "sbxcode-fixed")
    assert (await report(client, pro))["in_transit"] == "45.00"


async def test_a_refused_payout_gives_the_money_back_to_payable(
    client: httpx.AsyncClient, settings: Settings, outbox: Path
) -> None:
    payer, pro, _, plan = await plan_job(client, settings, outbox, ["50.00"])
    await link_with_code(client, pro, "sbxcode-acct-closed")
    await fund(client, payer, plan[0]["id"])
    await client.post(f"{API}/milestones/{plan[0]['id']}/approve", headers=payer.headers)
    refused = await report(client, pro)
    assert (refused["payable"], refused["in_transit"]) == ("45.00", "0.00")
    assert [p["status"] for p in refused["payouts"]] == ["failed"]
    await link_with_code(client, pro, "sbxcode-good")
    paid = await report(client, pro)
    assert (paid["payable"], paid["paid"]) == ("0.00", "45.00")
    assert sorted(p["status"] for p in paid["payouts"]) == ["failed", "paid"]


async def test_a_job_with_a_plan_is_not_paid_in_one_go(
    client: httpx.AsyncClient, settings: Settings, outbox: Path
) -> None:
    payer, _, job_id, _ = await plan_job(client, settings, outbox, ["10.00", "5.00"])
    r = await pay_job(client, payer, job_id)
    expect_problem(r, 409, "job_not_payable")


async def test_a_plan_with_an_open_checkout_cannot_be_replaced(
    client: httpx.AsyncClient, settings: Settings, outbox: Path
) -> None:
    payer, pro, job_id, plan = await plan_job(client, settings, outbox, ["10.00"])
    headers = {**payer.headers, "Idempotency-Key": new_key()}
    assert (await client.post(f"{API}/milestones/{plan[0]['id']}/fund", headers=headers)).is_success
    other = {"milestones": [{"title": "Otra", "amount": "10.00"}]}
    r = await client.put(f"{API}/jobs/{job_id}/milestones", json=other, headers=pro.headers)
    expect_problem(r, 409, "plan_locked")


async def test_a_chargeback_returns_what_is_held_once_in_any_order(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings, outbox: Path, db_exec: DbExec
) -> None:
    payer, _, job_id, plan = await plan_job(client, settings, outbox, ["90.00"])
    funded = await fund(client, payer, plan[0]["id"])
    back = await sandbox_checkout(client, payer, funded["preference_id"], outcome="refunded")
    sandbox = app.state.payment_provider
    # Replays of the chargeback, and the (older) approval delivered again afterwards.
    for provider_id in (back["provider_payment_id"], funded["provider_payment_id"]):
        for _ in range(2):
            assert (await send(client, sandbox.signed_webhook(provider_id))).status_code == 200
    m = await milestone(client, payer, job_id, 0)
    assert (m["status"], m["held"], m["refunded_amount"]) == ("refunded", "0.00", "90.00")
    kinds = sorted(k for (k,) in await db_exec("SELECT kind FROM ledger_entries"))
    assert kinds == ["chargeback", "fund"]
    async with transactional(app.state.sessions) as session:
        assert await ledger.balance(session, ledger.PROVIDER_CLEARING) == 0
