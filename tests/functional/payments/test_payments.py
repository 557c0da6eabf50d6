"""Job payments through HTTP: checkout, idempotency, signed webhooks, ordering, the breaker.

The sandbox provider delivers its webhooks over HTTP straight into the app under test.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from fixia import events
from fixia.config import PaymentSettings, Settings
from fixia.db import utcnow
from fixia.matches.models import JobStatus
from fixia.payments.models import PaymentStatus
from fixia.payments.providers import CheckoutRequest, MercadoPagoProvider, SandboxProvider
from fixia.payments.providers.sandbox import decode_preference
from tests.factories.accounts import Account, register
from tests.factories.catalog import DbExec, expect_problem
from tests.factories.payments import (
    API,
    FakeMercadoPago,
    api_client,
    create_job,
    get_payment,
    new_key,
    notification_types,
    pay_job,
    payments_app,
    sandbox_checkout,
    send,
)

# These tests wire the sandbox into an in-process app; test_journey.py covers payments
# through the real stack.
pytestmark = pytest.mark.inprocess


async def parties(client: httpx.AsyncClient, outbox: Path) -> tuple[Account, Account]:
    return await register(client, outbox, "client"), await register(client, outbox, "professional")


async def checkout(
    client: httpx.AsyncClient, settings: Settings, outbox: Path, price: str = "1234.55"
) -> tuple[Account, Account, str, dict[str, Any]]:
    """A client, a professional, their job and the client's pending payment for it."""
    payer, pro = await parties(client, outbox)
    job_id = await create_job(settings, client=payer, professional=pro, agreed_price=price)
    r = await pay_job(client, payer, job_id)
    assert r.status_code == 201, r.text
    return payer, pro, job_id, r.json()


def with_payments(settings: Settings, **changes: Any) -> Settings:
    return settings.model_copy(update={"payments": settings.payments.model_copy(update=changes)})


def sandbox(settings: Settings) -> SandboxProvider:
    """Another instance of the (stateless) sandbox: it signs and decodes what the app's does."""
    return SandboxProvider(settings)


def webhook_for(
    settings: Settings, payment: dict[str, Any], outcome: str, minutes_ago: int = 0, **kw: Any
) -> httpx.Request:
    provider = sandbox(settings)
    preference = decode_preference(payment["provider_preference_id"])
    at = utcnow() - timedelta(minutes=minutes_ago)
    return provider.signed_webhook(
        provider.payment_id(preference, PaymentStatus(outcome), at), **kw
    )


async def events_of(client: httpx.AsyncClient, payer: Account, payment_id: str) -> list[tuple]:
    history = (await get_payment(client, payer, payment_id))["history"]
    return [(h["status"], h["applied"]) for h in history]


async def test_job_payment_checkout_computes_commission(
    client: httpx.AsyncClient, settings: Settings, outbox: Path
) -> None:
    payer, _, job_id, payment = await checkout(client, settings, outbox, price="1234.55")
    assert payment["kind"] == "job" and payment["job_id"] == job_id
    assert payment["status"] == "pending" and payment["provider"] == "sandbox"
    assert payment["amount"] == "1234.55"
    assert payment["platform_fee"] == "123.46" and payment["professional_amount"] == "1111.09"
    assert payment["checkout_url"].endswith(
        f"/api/v1/payments/sandbox/checkout/{payment['provider_preference_id']}"
    )
    assert await events_of(client, payer, payment["id"]) == [("pending", True)]


async def test_idempotency_key_replays_and_conflicts(
    client: httpx.AsyncClient, settings: Settings, outbox: Path
) -> None:
    payer, pro = await parties(client, outbox)
    job_id = await create_job(settings, client=payer, professional=pro)
    other_job = await create_job(settings, client=payer, professional=pro)
    key = new_key()
    first = await pay_job(client, payer, job_id, key)
    replay = await pay_job(client, payer, job_id, key)
    assert (first.status_code, replay.status_code) == (201, 200)
    assert replay.json() == first.json()
    expect_problem(await pay_job(client, payer, other_job, key), 409, "idempotency_key_reused")
    mine = (await client.get(f"{API}/payments/mine", headers=payer.headers)).json()
    assert [p["id"] for p in mine["items"]] == [first.json()["id"]]
    # The key is required and sized.
    r = await client.post(f"{API}/jobs/{job_id}/payments", headers=payer.headers)
    assert expect_problem(r, 422, "validation_error")["errors"][0]["field"] == "Idempotency-Key"
    expect_problem(await pay_job(client, payer, job_id, "short"), 422, "validation_error")
    expect_problem(await pay_job(client, payer, job_id, "k" * 129), 422, "validation_error")
    # Another payer's identical key is a different payment.
    stranger = await register(client, outbox, "client")
    expect_problem(await pay_job(client, stranger, job_id, key), 404, "job_not_found")


async def test_only_the_jobs_client_pays_an_open_job(
    client: httpx.AsyncClient, settings: Settings, outbox: Path
) -> None:
    payer, pro = await parties(client, outbox)
    job_id = await create_job(settings, client=payer, professional=pro)
    expect_problem(await pay_job(client, pro, job_id), 403, "not_job_client")
    expect_problem(await pay_job(client, payer, str(uuid.uuid4())), 404, "job_not_found")
    cancelled = await create_job(
        settings, client=payer, professional=pro, status=JobStatus.cancelled
    )
    expect_problem(await pay_job(client, payer, cancelled), 409, "job_not_payable")
    r = await client.post(f"{API}/jobs/{job_id}/payments", headers={"Idempotency-Key": new_key()})
    assert r.status_code == 401


async def test_sandbox_checkout_approves_and_notifies_both_parties(
    client: httpx.AsyncClient, settings: Settings, outbox: Path, emitted: list[events.DomainEvent]
) -> None:
    payer, pro, job_id, payment = await checkout(client, settings, outbox)
    await sandbox_checkout(client, payer, payment["provider_preference_id"], "approved")
    paid = await get_payment(client, payer, payment["id"])
    assert paid["status"] == "approved" and paid["status_changed_at"] is not None
    assert [(h["status"], h["applied"]) for h in paid["history"]] == [
        ("pending", True),
        ("approved", True),
    ]
    # The professional sees the payment of their job, but not the payer's checkout link.
    seen_by_pro = await get_payment(client, pro, payment["id"])
    assert seen_by_pro["professional_amount"] == "1111.09"
    assert seen_by_pro["checkout_url"] is None
    stranger = await register(client, outbox, "client")
    r = await client.get(f"{API}/payments/{payment['id']}", headers=stranger.headers)
    expect_problem(r, 404, "payment_not_found")
    assert "payment_approved" in await notification_types(client, payer)
    assert "payment_received" in await notification_types(client, pro)
    assert [e.name for e in emitted if e.name.startswith("payment.")] == ["payment.approved"]
    # One approved payment per job.
    expect_problem(await pay_job(client, payer, job_id), 409, "job_already_paid")


async def test_a_job_paid_twice_is_flagged_for_refund(
    client: httpx.AsyncClient, settings: Settings, outbox: Path, emitted: list[events.DomainEvent]
) -> None:
    payer, _, job_id, first = await checkout(client, settings, outbox)
    second = (await pay_job(client, payer, job_id)).json()  # opened before either was paid
    await sandbox_checkout(client, payer, first["provider_preference_id"], "approved")
    assert "payment.duplicate" not in [e.name for e in emitted]
    await sandbox_checkout(client, payer, second["provider_preference_id"], "approved")
    # The provider has the money either way: we record the truth and flag it.
    assert (await get_payment(client, payer, second["id"]))["status"] == "approved"
    duplicates = [e for e in emitted if e.name == "payment.duplicate"]
    assert [e.data["payment_id"] for e in duplicates] == [second["id"]]


async def test_rejected_payment_can_be_retried(
    client: httpx.AsyncClient, settings: Settings, outbox: Path, emitted: list[events.DomainEvent]
) -> None:
    payer, _, job_id, payment = await checkout(client, settings, outbox)
    await sandbox_checkout(client, payer, payment["provider_preference_id"], "rejected")
    assert (await get_payment(client, payer, payment["id"]))["status"] == "rejected"
    assert "payment_rejected" in await notification_types(client, payer)
    assert "payment.rejected" in [e.name for e in emitted]
    retry = await pay_job(client, payer, job_id)
    assert retry.status_code == 201 and retry.json()["id"] != payment["id"]


async def test_bad_signature_is_401_and_changes_nothing(
    client: httpx.AsyncClient, settings: Settings, outbox: Path, db_exec: DbExec
) -> None:
    payer, _, _, payment = await checkout(client, settings, outbox)
    good = webhook_for(settings, payment, "approved")
    ts = good.headers["x-signature"].split(",")[0]
    tampered = {**good.headers, "x-signature": f"{ts},v1={'0' * 64}"}
    missing = {k: v for k, v in good.headers.items() if k != "x-signature"}
    for headers in (tampered, missing):
        r = await client.post(
            good.url.path, params=dict(good.url.params), headers=headers, content=good.content
        )
        expect_problem(r, 401, "invalid_webhook_signature")
    wrong_secret = with_payments(settings, webhook_secret=SecretStr("another-secret-0123456789"))
    r = await send(client, webhook_for(wrong_secret, payment, "approved"))
    expect_problem(r, 401, "invalid_webhook_signature")
    assert (await get_payment(client, payer, payment["id"]))["status"] == "pending"
    assert await db_exec("SELECT count(*) FROM payment_events") == [(1,)]
    # The untouched original still works.
    assert (await send(client, good)).json() == {"result": "applied"}


async def test_same_webhook_twice_changes_state_once(
    client: httpx.AsyncClient, settings: Settings, outbox: Path, emitted: list[events.DomainEvent]
) -> None:
    payer, _, _, payment = await checkout(client, settings, outbox)
    delivery = webhook_for(settings, payment, "approved")
    results = [(await send(client, delivery)).json()["result"] for _ in range(3)]
    assert results == ["applied", "duplicate", "duplicate"]
    # A new notification about the same provider payment is recorded but changes nothing.
    again = sandbox(settings).signed_webhook(delivery.url.params["data.id"])
    assert (await send(client, again)).json() == {"result": "unchanged"}
    assert await events_of(client, payer, payment["id"]) == [
        ("pending", True),
        ("approved", True),
        ("approved", False),
    ]
    assert [e.name for e in emitted].count("payment.approved") == 1
    assert (await notification_types(client, payer)).count("payment_approved") == 1


async def test_concurrent_deliveries_apply_once(
    client: httpx.AsyncClient, settings: Settings, outbox: Path, emitted: list[events.DomainEvent]
) -> None:
    """Distinct notifications for one approval racing each other: the row lock lets exactly
    one apply; the others see the approved row and change nothing."""
    payer, _, _, payment = await checkout(client, settings, outbox)
    provider = sandbox(settings)
    preference = decode_preference(payment["provider_preference_id"])
    approved = provider.payment_id(preference, PaymentStatus.approved, utcnow())
    deliveries = [provider.signed_webhook(approved) for _ in range(4)]
    responses = await asyncio.gather(*(send(client, d) for d in deliveries))
    assert sorted(r.json()["result"] for r in responses) == ["applied"] + ["unchanged"] * 3
    assert [e.name for e in emitted].count("payment.approved") == 1
    assert (await notification_types(client, payer)).count("payment_approved") == 1


async def test_out_of_order_events_end_in_the_newest_state(
    client: httpx.AsyncClient, settings: Settings, outbox: Path
) -> None:
    payer, _, _, payment = await checkout(client, settings, outbox)
    approved = webhook_for(settings, payment, "approved", minutes_ago=1)
    older_pending = webhook_for(settings, payment, "pending", minutes_ago=5)
    assert (await send(client, approved)).json() == {"result": "applied"}
    assert (await send(client, older_pending)).json() == {"result": "unchanged"}
    assert (await get_payment(client, payer, payment["id"]))["status"] == "approved"
    # A newer rejection cannot un-approve money either; a refund can.
    newer_rejected = webhook_for(settings, payment, "rejected", minutes_ago=0)
    assert (await send(client, newer_rejected)).json() == {"result": "unchanged"}
    refund = webhook_for(settings, payment, "refunded", minutes_ago=0)
    assert (await send(client, refund)).json() == {"result": "applied"}
    assert await events_of(client, payer, payment["id"]) == [
        ("pending", True),
        ("approved", True),
        ("pending", False),
        ("rejected", False),
        ("refunded", True),
    ]


async def test_older_event_never_overwrites_a_newer_one(
    client: httpx.AsyncClient, settings: Settings, outbox: Path
) -> None:
    """rejected -> pending is a legal move (the payer retries), but not from an older event."""
    payer, _, _, payment = await checkout(client, settings, outbox)
    newer_rejected = webhook_for(settings, payment, "rejected", minutes_ago=1)
    older_pending = webhook_for(settings, payment, "pending", minutes_ago=5)
    assert (await send(client, newer_rejected)).json() == {"result": "applied"}
    assert (await send(client, older_pending)).json() == {"result": "unchanged"}
    assert (await get_payment(client, payer, payment["id"]))["status"] == "rejected"
    # A later attempt on the same checkout that succeeds does count.
    assert (await send(client, webhook_for(settings, payment, "approved"))).json() == {
        "result": "applied"
    }
    assert (await get_payment(client, payer, payment["id"]))["status"] == "approved"


async def test_amount_mismatch_is_recorded_not_approved(
    client: httpx.AsyncClient, settings: Settings, outbox: Path
) -> None:
    payer, pro, _, payment = await checkout(client, settings, outbox, price="1234.55")
    await sandbox_checkout(
        client, payer, payment["provider_preference_id"], "approved", amount="1.00"
    )
    assert await events_of(client, payer, payment["id"]) == [("pending", True), ("approved", False)]
    assert (await get_payment(client, payer, payment["id"]))["status"] == "pending"
    assert "payment_received" not in await notification_types(client, pro)


async def test_unknown_payment_is_acknowledged_and_logged(
    client: httpx.AsyncClient, settings: Settings, db_exec: DbExec
) -> None:
    provider = sandbox(settings)
    preference = await provider.create_preference(
        CheckoutRequest(
            reference=str(uuid.uuid4()),
            title="x",
            amount=Decimal("10.00"),
            currency="ARS",
            payer_email="a@b.c",
            idempotency_key="k",
        )
    )
    pid = provider.payment_id(decode_preference(preference.id), PaymentStatus.approved, utcnow())
    assert (await send(client, provider.signed_webhook(pid))).json() == {"result": "ignored"}
    rows = await db_exec("SELECT status, applied FROM payment_events WHERE payment_id IS NULL")
    assert [(status, bool(applied)) for status, applied in rows] == [("approved", False)]
    # A signed notice for a payment the provider does not know either.
    bogus = provider.signed_webhook("sbx_not-a-real-id")
    assert (await send(client, bogus)).json() == {"result": "ignored"}
    assert await db_exec("SELECT count(*) FROM payment_events") == [(2,)]


async def test_webhook_for_another_provider_is_404(client: httpx.AsyncClient) -> None:
    r = await client.post(f"{API}/payments/webhooks/stripe", content=b"{}")
    expect_problem(r, 404, "payment_provider_not_found")


async def test_sandbox_checkout_does_not_exist_in_production(settings: Settings) -> None:
    production = settings.model_copy(update={"env": "production"})
    async with api_client(payments_app(production)) as prod:
        r = await prod.post(f"{API}/payments/sandbox/checkout/sbxpref_x_1.00_ARS", json={})
    expect_problem(r, 404, "not_found")


def mercadopago_settings(settings: Settings, **payments: Any) -> Settings:
    return with_payments(
        settings,
        provider="mercadopago",
        mercadopago_access_token=SecretStr("TEST-fake-access-token"),
        **payments,
    )


async def test_mercadopago_checkout_and_webhook_end_to_end(
    settings: Settings, outbox: Path
) -> None:
    mp_settings = mercadopago_settings(settings)
    fake = FakeMercadoPago(webhook_secret=mp_settings.payments.webhook_secret.get_secret_value())
    app = payments_app(mp_settings)
    app.state.payment_provider = MercadoPagoProvider(mp_settings, transport=fake.transport)
    async with api_client(app) as client:
        payer, _, _, payment = await checkout(client, mp_settings, outbox, price="15000.00")
        assert payment["provider"] == "mercadopago"
        assert payment["checkout_url"].startswith("https://www.mercadopago.com.ar/")
        sent = fake.requests[-1]
        assert sent.headers["x-idempotency-key"] == payment["id"]
        webhook = fake.webhook(fake.pay(payment["provider_preference_id"], "approved"))
        assert webhook.url.path == "/api/v1/payments/webhooks/mercadopago"
        assert (await send(client, webhook)).json() == {"result": "applied"}
        paid = await get_payment(client, payer, payment["id"])
        assert paid["status"] == "approved" and paid["professional_amount"] == "13500.00"
        # The webhook made us ask MercadoPago for the payment rather than trust the body.
        assert fake.requests[-1].method == "GET"


async def test_breaker_opens_answers_503_and_recovers(settings: Settings, outbox: Path) -> None:
    mp_settings = mercadopago_settings(settings, retries=0, breaker_failures=3, breaker_reset_s=30)
    fake = FakeMercadoPago(webhook_secret="unused-in-this-test", fail_times=3, fail_status=502)
    now = [0.0]
    app = payments_app(mp_settings)
    app.state.payment_provider = MercadoPagoProvider(
        mp_settings, transport=fake.transport, clock=lambda: now[0]
    )
    async with api_client(app) as client:
        payer, pro = await parties(client, outbox)
        job_id = await create_job(mp_settings, client=payer, professional=pro)
        for _ in range(3):
            r = await pay_job(client, payer, job_id)
            expect_problem(r, 503, "payment_provider_unavailable")
            assert int(r.headers["Retry-After"]) >= 1
        assert len(fake.requests) == 3
        r = await pay_job(client, payer, job_id)
        expect_problem(r, 503, "payment_provider_unavailable")
        assert r.headers["Retry-After"] == "30" and len(fake.requests) == 3
        mine = (await client.get(f"{API}/payments/mine", headers=payer.headers)).json()
        assert mine["items"] == []  # failed checkouts leave nothing behind
        now[0] += 30
        assert (await pay_job(client, payer, job_id)).status_code == 201
        assert (await pay_job(client, payer, job_id)).status_code == 201


async def test_provider_timeout_answers_503(settings: Settings, outbox: Path) -> None:
    mp_settings = mercadopago_settings(settings, retries=1)
    fake = FakeMercadoPago(webhook_secret="unused-in-this-test", time_out=True)
    app = payments_app(mp_settings)

    async def no_sleep(_: float) -> None:
        return None

    app.state.payment_provider = MercadoPagoProvider(
        mp_settings, transport=fake.transport, sleep=no_sleep
    )
    async with api_client(app) as client:
        payer, pro = await parties(client, outbox)
        job_id = await create_job(mp_settings, client=payer, professional=pro)
        r = await pay_job(client, payer, job_id)
        expect_problem(r, 503, "payment_provider_unavailable")
        assert "Retry-After" in r.headers and len(fake.requests) == 2


async def test_sandbox_checkout_is_off_unless_switched_on(settings: Settings, outbox: Path) -> None:
    """Off by default, even in development: only an explicit setting opens it."""
    default = settings.model_copy(
        update={"env": "development", "payments": PaymentSettings(sandbox_checkout=False)}
    )
    async with api_client(payments_app(default)) as dev:
        r = await dev.post(f"{API}/payments/sandbox/checkout/sbxpref_x_1.00_ARS", json={})
    expect_problem(r, 404, "not_found")


async def test_only_the_payer_can_play_their_checkout(
    client: httpx.AsyncClient, settings: Settings, outbox: Path
) -> None:
    payer, pro, _, payment = await checkout(client, settings, outbox)
    preference = payment["provider_preference_id"]
    url = f"{API}/payments/sandbox/checkout/{preference}"
    anonymous = await client.post(url, json={"outcome": "approved"})
    assert anonymous.status_code == 401
    stranger = await client.post(url, json={"outcome": "approved"}, headers=pro.headers)
    expect_problem(stranger, 404, "preference_not_found")
    assert (await get_payment(client, payer, payment["id"]))["status"] == "pending"
    await sandbox_checkout(client, payer, preference, "approved")
    assert (await get_payment(client, payer, payment["id"]))["status"] == "approved"


async def test_a_replayed_signature_cannot_pre_empt_a_later_notification(
    client: httpx.AsyncClient, settings: Settings, outbox: Path
) -> None:
    """The body's `id` is not signed. Replaying a captured signature with a chosen body `id`
    must not make the provider's next real notification look like a duplicate."""
    payer, _, _, payment = await checkout(client, settings, outbox)
    pending = webhook_for(settings, payment, "pending", minutes_ago=2)
    assert (await send(client, pending)).json()["result"] in {"unchanged", "applied"}
    real = webhook_for(settings, payment, "approved")
    forged_body = {**json.loads(pending.content), "id": json.loads(real.content)["id"]}
    headers = {k: v for k, v in pending.headers.items() if k.lower() != "content-length"}
    forged = httpx.Request("POST", pending.url, headers=headers, content=json.dumps(forged_body))
    assert (await send(client, forged)).json() == {"result": "duplicate"}
    assert (await send(client, real)).json() == {"result": "applied"}
    assert (await get_payment(client, payer, payment["id"]))["status"] == "approved"
