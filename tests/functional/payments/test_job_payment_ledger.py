"""A job paid in full through payments (no milestones) is one balanced journal entry in the
money ledger, posted once however often the provider's notice is replayed, reversed once
when the provider gives the money back, and a second paid checkout is owed to the client."""

from __future__ import annotations

import asyncio
import uuid
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from fixia.config import Settings
from fixia.db import transactional, utcnow
from fixia.money import job_payments, ledger, payouts, reconcile
from fixia.money.models import PayoutAccount
from fixia.payments.models import Payment
from tests.factories.accounts import register
from tests.factories.catalog import DbExec, sql_value
from tests.factories.payments import create_job, pay_job, sandbox_checkout, send
from tests.functional.payments.test_milestones import link_payout_account, report

pytestmark = pytest.mark.inprocess
ENTRIES = "SELECT kind FROM ledger_entries WHERE kind LIKE 'job_payment%' ORDER BY kind"


async def balances(app: FastAPI, professional: str) -> tuple[int, int, int, int]:
    async with transactional(app.state.sessions) as session:
        assert await reconcile.books(session) == []
        return (
            await ledger.balance(session, ledger.PROVIDER_CLEARING),
            await ledger.balance(session, ledger.PLATFORM_FEES),
            await ledger.balance(session, ledger.payable(professional)),
            await ledger.balance(session, ledger.REFUNDS_PENDING),
        )


async def test_a_whole_job_payment_is_one_balanced_entry_posted_once(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings, outbox: Path, db_exec: DbExec
) -> None:
    payer = await register(client, outbox, "client")
    pro = await register(client, outbox, "professional")
    job_id = await create_job(settings, client=payer, professional=pro, agreed_price="1234.55")
    r = await pay_job(client, payer, job_id)
    assert r.status_code == 201, r.text
    paid = await sandbox_checkout(client, payer, r.json()["provider_preference_id"])
    sandbox = app.state.payment_provider
    for _ in range(3):  # replays of the approval
        assert (await send(client, sandbox.signed_webhook(paid["provider_payment_id"]))).is_success
    assert await db_exec(ENTRIES) == [("job_payment",)]
    postings = "SELECT count(*) FROM ledger_postings"
    assert await db_exec(postings) == [(2,)]
    # 10 % fee of 1234.55 rounds half up to 123.46; the professional is owed the rest.
    assert await balances(app, pro.id) == (123455, 12346, 111109, 0)
    await link_payout_account(client, pro)  # the payable money leaves for their account
    assert (await report(client, pro))["paid"] == "1111.09"
    # Nightly reconciliation reads whole-job payments too.
    since = utcnow().replace(year=2000)
    assert await reconcile.run(app.state.sessions, sandbox, since) == []
    await db_exec(
        "UPDATE payments SET amount = :a WHERE id = :i",
        a=sql_value(settings, Decimal("1234.56")),
        i=sql_value(settings, uuid.UUID(r.json()["id"])),
    )
    found = await reconcile.run(app.state.sessions, sandbox, since)
    assert [(m.kind, m.subject) for m in found] == [("amount", r.json()["id"])]


async def test_a_reversed_or_doubled_job_payment_moves_each_peso_once(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings, outbox: Path, db_exec: DbExec
) -> None:
    payer = await register(client, outbox, "client")
    pro = await register(client, outbox, "professional")
    job_id = await create_job(settings, client=payer, professional=pro, agreed_price="500.00")
    first = (await pay_job(client, payer, job_id)).json()
    second = (await pay_job(client, payer, job_id)).json()
    assert first["provider_preference_id"] != second["provider_preference_id"]
    one = await sandbox_checkout(client, payer, first["provider_preference_id"])
    two = await sandbox_checkout(client, payer, second["provider_preference_id"])
    # The second checkout is owed back to the client, not to the professional.
    assert await balances(app, pro.id) == (100000, 5000, 45000, 50000)
    back = await sandbox_checkout(
        client, payer, first["provider_preference_id"], outcome="refunded"
    )
    sandbox = app.state.payment_provider
    # Replays of the refund, then the older approval delivered late: nothing moves again.
    for provider_id in (back["provider_payment_id"], one["provider_payment_id"]):
        for _ in range(2):
            assert (await send(client, sandbox.signed_webhook(provider_id))).is_success
    assert await balances(app, pro.id) == (50000, 0, 0, 50000)
    await sandbox_checkout(client, payer, second["provider_preference_id"], outcome="refunded")
    assert (await send(client, sandbox.signed_webhook(two["provider_payment_id"]))).is_success
    assert await balances(app, pro.id) == (0, 0, 0, 0)
    assert await db_exec(ENTRIES) == [
        ("job_payment",),
        ("job_payment_duplicate",),
        ("job_payment_duplicate_refunded",),
        ("job_payment_reversed",),
    ]


async def test_a_payout_and_a_provider_reversal_never_spend_the_same_money(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings, outbox: Path
) -> None:
    # A payout (the worker) and the provider's refund notice (a webhook) for one professional
    # at the same moment: each reads the payable balance, then posts against it.
    payer = await register(client, outbox, "client")
    pro = await register(client, outbox, "professional")
    job_id = await create_job(settings, client=payer, professional=pro, agreed_price="500.00")
    bought = (await pay_job(client, payer, job_id)).json()
    await sandbox_checkout(client, payer, bought["provider_preference_id"])
    assert await balances(app, pro.id) == (50000, 5000, 45000, 0)  # no account linked yet
    professional = uuid.UUID(pro.id)
    async with app.state.sessions() as paying, app.state.sessions() as reversing:
        paying.add(PayoutAccount(user_id=professional, provider="sandbox", account_id="acct"))
        payout = await payouts.prepare(paying, professional)
        assert payout is not None and payout.amount == Decimal("450.00")
        payment = await reversing.get(Payment, uuid.UUID(bought["id"]))
        assert payment is not None
        reversal = asyncio.create_task(job_payments.reversed_by_provider(reversing, payment))
        await asyncio.sleep(0.5)
        waited = not reversal.done()
        await paying.commit()
        assert await reversal == "reversed"
        await reversing.commit()
    assert waited, "the reversal read the balance while the payout was spending it"
    # The payout took the 450; the reversal found nothing payable left and booked the
    # professional's share as a chargeback loss. Nothing is negative, nothing counted twice.
    _clearing, fees, payable, refunds = await balances(app, pro.id)
    assert (fees, payable, refunds) == (0, 0, 0)
