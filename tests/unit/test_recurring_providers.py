"""Recurring payments (MercadoPago preapprovals and their authorized payments): one
conformance suite, both providers. MercadoPago runs against `FakeMercadoPago`, whose `bill`
plays MercadoPago's engine charging a period; the sandbox charges when asked."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest

from fixia.db import utcnow
from fixia.payments.exceptions import ProviderRejected
from fixia.payments.models import PaymentStatus
from fixia.payments.providers import (
    CHARGE_TOPIC,
    AgreementRequest,
    ChargeRequest,
    MercadoPagoProvider,
    PaymentProvider,
    ProviderPayment,
    ProviderPaymentMissing,
    SandboxProvider,
)
from tests.factories.payments import FakeMercadoPago
from tests.unit.test_payment_providers import SECRET, TOKEN, make_settings, no_sleep

DUE = utcnow().replace(microsecond=0) + timedelta(days=1)


@dataclass
class Harness:
    provider: PaymentProvider
    # The payer authorises the agreement and the provider's engine bills the period at `due`.
    authorize_and_bill: Callable[[str], Awaitable[None]]
    charge_id: Callable[[str, ProviderPayment], str]


def sandbox_harness() -> Harness:
    provider = SandboxProvider(make_settings())

    async def nothing(_: str) -> None:
        return None

    return Harness(provider, nothing, provider.charge_id)


def mercadopago_harness() -> Harness:
    fake = FakeMercadoPago(webhook_secret=SECRET, token=TOKEN)
    provider = MercadoPagoProvider(make_settings(), transport=fake.transport, sleep=no_sleep)

    async def authorize_and_bill(agreement_id: str) -> None:
        fake.authorize_preapproval(agreement_id)
        fake.bill(agreement_id, DUE)

    harness = Harness(provider, authorize_and_bill, lambda _agreement, payment: payment.id)
    harness.fake = fake  # type: ignore[attr-defined]
    return harness


HARNESSES = {"sandbox": sandbox_harness, "mercadopago": mercadopago_harness}


@pytest.fixture(params=sorted(HARNESSES))
def harness(request: pytest.FixtureRequest) -> Harness:
    return HARNESSES[request.param]()


def agreement(email: str = "pro@example.com.ar", key: str | None = None) -> AgreementRequest:
    reference = str(uuid.uuid4())
    return AgreementRequest(
        reference=reference,
        reason="Fixia plan professional (30 días)",
        amount=Decimal("7900.00"),
        currency="ARS",
        frequency_days=30,
        starts=DUE,
        payer_email=email,
        idempotency_key=key or f"agreement:{reference}",
    )


def period(agreement_id: str) -> ChargeRequest:
    return ChargeRequest(
        agreement_id=agreement_id,
        reference=str(uuid.uuid4()),
        amount=Decimal("7900.00"),
        currency="ARS",
        due=DUE,
    )


async def test_agreement_is_idempotent_per_key(harness: Harness) -> None:
    request = agreement()
    first = await harness.provider.create_agreement(request)
    again = await harness.provider.create_agreement(request)
    other = await harness.provider.create_agreement(agreement())
    assert first == again and first.id != other.id
    assert first.authorize_url.startswith("https://")


async def test_a_paid_period_is_approved_once(harness: Harness) -> None:
    made = await harness.provider.create_agreement(agreement())
    await harness.authorize_and_bill(made.id)
    request = period(made.id)
    charged = await harness.provider.charge(request)
    assert charged.status is PaymentStatus.approved
    assert (charged.amount, charged.currency) == (Decimal("7900.00"), "ARS")
    assert charged.external_reference == request.reference
    again = await harness.provider.charge(request)
    assert (again.id, again.status, again.status_changed_at) == (
        charged.id,
        charged.status,
        charged.status_changed_at,
    )


async def test_a_declined_card_fails_the_period(harness: Harness) -> None:
    made = await harness.provider.create_agreement(agreement("pro+declined@example.com.ar"))
    await harness.authorize_and_bill(made.id)
    charged = await harness.provider.charge(period(made.id))
    assert charged.status is PaymentStatus.rejected


async def test_a_notified_charge_names_its_agreement_and_status(harness: Harness) -> None:
    made = await harness.provider.create_agreement(agreement())
    await harness.authorize_and_bill(made.id)
    charged = await harness.provider.charge(period(made.id))
    found = await harness.provider.get_charge(harness.charge_id(made.id, charged))
    assert found.agreement_id == made.id
    assert (found.payment.status, found.payment.amount) == (charged.status, charged.amount)
    with pytest.raises(ProviderPaymentMissing):
        await harness.provider.get_charge("999999999999")


async def test_cancelling_twice_is_fine(harness: Harness) -> None:
    made = await harness.provider.create_agreement(agreement())
    await harness.provider.cancel_agreement(made.id)
    await harness.provider.cancel_agreement(made.id)


async def test_mercadopago_period_not_billed_yet_is_pending() -> None:
    harness = mercadopago_harness()
    made = await harness.provider.create_agreement(agreement())
    charged = await harness.provider.charge(period(made.id))
    assert charged.status is PaymentStatus.pending


async def test_mercadopago_preapproval_body_and_cancel() -> None:
    harness = mercadopago_harness()
    fake: FakeMercadoPago = harness.fake  # type: ignore[attr-defined]
    made = await harness.provider.create_agreement(agreement())
    sent = fake.preapprovals[made.id]
    recurring = sent["auto_recurring"]
    assert (recurring["frequency"], recurring["frequency_type"]) == (30, "days")
    assert recurring["transaction_amount"] == Decimal("7900.00")
    assert sent["status"] == "pending" and sent["payer_email"] == "pro@example.com.ar"
    await harness.provider.cancel_agreement(made.id)
    assert fake.preapprovals[made.id]["status"] == "cancelled"


async def test_mercadopago_charge_notifications_are_verified_and_kept() -> None:
    harness = mercadopago_harness()
    fake: FakeMercadoPago = harness.fake  # type: ignore[attr-defined]
    made = await harness.provider.create_agreement(agreement())
    fake.authorize_preapproval(made.id)
    charge_id = fake.bill(made.id, DUE)
    request = fake.charge_webhook(charge_id)
    notice = harness.provider.parse_webhook(
        headers=request.headers, query=dict(request.url.params), body=request.content
    )
    assert notice is not None and (notice.topic, notice.payment_id) == (CHARGE_TOPIC, charge_id)


async def test_sandbox_refuses_unknown_agreements() -> None:
    provider = SandboxProvider(make_settings())
    with pytest.raises(ProviderRejected):
        await provider.charge(period("not-an-agreement"))
    with pytest.raises(ProviderPaymentMissing):
        await provider.get_charge("not-an-agreement~x")
