"""Both payment providers pass one conformance suite; then what is specific to each.

MercadoPago runs against `FakeMercadoPago` (an httpx MockTransport); the sandbox delivers its
webhooks into a transport that captures them.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
import pytest
from pydantic import SecretStr

from fixia.config import PaymentSettings, Settings
from fixia.payments.exceptions import (
    InvalidWebhookSignature,
    PreferenceNotFound,
    ProviderRejected,
    ProviderUnavailable,
)
from fixia.payments.models import PaymentStatus
from fixia.payments.providers import (
    CheckoutRequest,
    MercadoPagoProvider,
    PaymentProvider,
    ProviderPaymentMissing,
    SandboxProvider,
    build_provider,
    signing,
)
from fixia.payments.providers.mercadopago import json_number
from fixia.payments.providers.sandbox import decode_preference
from fixia.payments.service import split_commission
from tests.factories.payments import FakeMercadoPago

SECRET = "unit-test-webhook-secret-0123456789"
TOKEN = "TEST-fake-access-token"


def make_settings(**overrides: object) -> Settings:
    payments: dict[str, object] = {
        "webhook_secret": SecretStr(SECRET),
        "mercadopago_access_token": SecretStr(TOKEN),
        "mercadopago_api_url": "https://api.mercadopago.test",
        **overrides,
    }
    return Settings(
        env="test",
        public_url="https://fixia.test",
        payments=PaymentSettings.model_validate(payments),
    )


async def no_sleep(_: float) -> None:
    return None


@dataclass
class Harness:
    """A provider plus a way to play the payer, which differs per implementation."""

    provider: PaymentProvider
    pay: Callable[[str, str, datetime], Awaitable[httpx.Request]]


def sandbox_harness() -> Harness:
    captured: list[httpx.Request] = []

    def app(request: httpx.Request) -> httpx.Response:
        captured.append(request)
        return httpx.Response(200, json={"result": "applied"})

    provider = SandboxProvider(make_settings(), webhook_transport=httpx.MockTransport(app))

    async def pay(preference_id: str, outcome: str, at: datetime) -> httpx.Request:
        delivery = await provider.simulate_checkout(
            preference_id, outcome=PaymentStatus(outcome), at=at
        )
        assert delivery.status_code == 200 and captured[-1] is delivery.request
        return captured[-1]

    return Harness(provider, pay)


def mercadopago_harness() -> Harness:
    fake = FakeMercadoPago(webhook_secret=SECRET, token=TOKEN)
    provider = MercadoPagoProvider(make_settings(), transport=fake.transport, sleep=no_sleep)

    async def pay(preference_id: str, outcome: str, at: datetime) -> httpx.Request:
        return fake.webhook(fake.pay(preference_id, outcome, at=at))

    return Harness(provider, pay)


HARNESSES = {"sandbox": sandbox_harness, "mercadopago": mercadopago_harness}


@pytest.fixture(params=sorted(HARNESSES))
def harness(request: pytest.FixtureRequest) -> Harness:
    return HARNESSES[request.param]()


def checkout(reference: str | None = None, amount: str = "1234.55") -> CheckoutRequest:
    reference = reference or str(uuid.uuid4())
    return CheckoutRequest(
        reference=reference,
        title="Arreglo de cañería",
        amount=Decimal(amount),
        currency="ARS",
        payer_email="cliente@example.com.ar",
        idempotency_key=reference,
    )


def parse(provider: PaymentProvider, request: httpx.Request):  # type: ignore[no-untyped-def]
    return provider.parse_webhook(
        headers=request.headers, query=dict(request.url.params), body=request.content
    )


# --- conformance: every provider ---------------------------------------------------------


async def test_preference_is_idempotent_per_key(harness: Harness) -> None:
    request = checkout()
    first = await harness.provider.create_preference(request)
    again = await harness.provider.create_preference(request)
    other = await harness.provider.create_preference(checkout())
    assert first.id and first.checkout_url.startswith("https://")
    assert again == first and other.id != first.id


@pytest.mark.parametrize("outcome", ["approved", "rejected"])
async def test_paid_checkout_notifies_and_confirms(harness: Harness, outcome: str) -> None:
    request = checkout(amount="1234.55")
    preference = await harness.provider.create_preference(request)
    at = datetime(2025, 3, 1, 15, 30, 0, 123000, tzinfo=UTC)
    notice = parse(harness.provider, await harness.pay(preference.id, outcome, at))
    assert notice is not None and notice.topic == "payment" and notice.event_id
    payment = await harness.provider.get_payment(notice.payment_id)
    assert payment.id == notice.payment_id
    assert payment.status is PaymentStatus(outcome)
    assert payment.amount == Decimal("1234.55") and payment.currency == "ARS"
    assert payment.external_reference == request.reference
    assert payment.status_changed_at == at


async def test_each_delivery_has_its_own_event_id(harness: Harness) -> None:
    preference = await harness.provider.create_preference(checkout())
    at = datetime.now(UTC)
    first = parse(harness.provider, await harness.pay(preference.id, "pending", at))
    second = parse(harness.provider, await harness.pay(preference.id, "approved", at))
    assert first is not None and second is not None
    assert first.event_id != second.event_id


async def test_webhook_signature_is_enforced(harness: Harness) -> None:
    preference = await harness.provider.create_preference(checkout())
    request = await harness.pay(preference.id, "approved", datetime.now(UTC))
    headers = dict(request.headers)
    query = dict(request.url.params)
    body = request.content
    ts, v1 = headers["x-signature"].split(",")
    forged_digest = ("0" if v1[3] != "0" else "1") + v1[4:]
    cases = [
        {**headers, "x-signature": f"{ts},v1={forged_digest}"},  # wrong digest
        {k: v for k, v in headers.items() if k != "x-signature"},  # missing
        {**headers, "x-request-id": "another-request"},  # signed for another request
        {**headers, "x-signature": f"ts=1,{v1}"},  # another timestamp
        {**headers, "x-signature": "garbage"},
    ]
    for bad in cases:
        with pytest.raises(InvalidWebhookSignature):
            harness.provider.parse_webhook(headers=bad, query=query, body=body)
    # The signature covers data.id: pointing it at another payment breaks it.
    with pytest.raises(InvalidWebhookSignature):
        harness.provider.parse_webhook(
            headers=headers, query={**query, "data.id": "999"}, body=b"{}"
        )


async def test_unknown_payment_is_missing(harness: Harness) -> None:
    with pytest.raises(ProviderPaymentMissing):
        await harness.provider.get_payment("4242424242")


async def test_other_topics_are_ignored_after_verification(harness: Harness) -> None:
    preference = await harness.provider.create_preference(checkout())
    request = await harness.pay(preference.id, "approved", datetime.now(UTC))
    query = {**dict(request.url.params), "type": "merchant_order"}
    assert (
        harness.provider.parse_webhook(headers=request.headers, query=query, body=request.content)
        is None
    )


# --- the signature scheme itself ------------------------------------------------------------


def test_signature_matches_mercadopago_documented_manifest() -> None:
    manifest = "id:123456;request-id:bb56a2f1-6aae-46ac-982e-9dcd3581d08e;ts:1704908010;"
    expected = hmac.new(b"secret", manifest.encode(), hashlib.sha256).hexdigest()
    header = signing.sign(
        "secret",
        data_id="123456",
        request_id="bb56a2f1-6aae-46ac-982e-9dcd3581d08e",
        ts="1704908010",
    )
    assert header == f"ts=1704908010,v1={expected}"
    # Alphanumeric ids are signed lower-cased, as MercadoPago does.
    assert (
        signing.manifest(data_id="ABC123", request_id="r", ts="1") == "id:abc123;request-id:r;ts:1;"
    )
    assert signing.verify(
        "secret",
        f"ts=1704908010, v1={expected}",
        data_id="123456",
        request_id="bb56a2f1-6aae-46ac-982e-9dcd3581d08e",
    )


# --- MercadoPago specifics ------------------------------------------------------------------


async def test_mercadopago_sends_token_idempotency_key_and_exact_amount() -> None:
    fake = FakeMercadoPago(webhook_secret=SECRET, token=TOKEN)
    provider = MercadoPagoProvider(make_settings(), transport=fake.transport, sleep=no_sleep)
    request = checkout(amount="1234.55")
    await provider.create_preference(request)
    sent = fake.requests[-1]
    assert sent.headers["authorization"] == f"Bearer {TOKEN}"
    assert sent.headers["x-idempotency-key"] == request.idempotency_key
    assert b'"unit_price": 1234.55' in sent.content
    stored = next(iter(fake.preferences.values()))
    assert stored["external_reference"] == request.reference
    assert stored["notification_url"] == "https://fixia.test/api/v1/payments/webhooks/mercadopago"


async def test_mercadopago_retries_server_errors_with_the_same_key() -> None:
    fake = FakeMercadoPago(webhook_secret=SECRET, token=TOKEN, fail_times=2)
    provider = MercadoPagoProvider(
        make_settings(retries=2), transport=fake.transport, sleep=no_sleep
    )
    preference = await provider.create_preference(checkout())
    assert preference.id in fake.preferences
    keys = {r.headers["x-idempotency-key"] for r in fake.requests}
    assert len(fake.requests) == 3 and len(keys) == 1


async def test_mercadopago_gives_up_with_provider_unavailable() -> None:
    fake = FakeMercadoPago(webhook_secret=SECRET, token=TOKEN, fail_times=10)
    provider = MercadoPagoProvider(
        make_settings(retries=1), transport=fake.transport, sleep=no_sleep
    )
    with pytest.raises(ProviderUnavailable) as info:
        await provider.get_payment("1")
    assert len(fake.requests) == 2 and info.value.status == 503
    assert "Retry-After" in info.value.headers


async def test_mercadopago_timeout_is_unavailable() -> None:
    fake = FakeMercadoPago(webhook_secret=SECRET, token=TOKEN, time_out=True)
    provider = MercadoPagoProvider(make_settings(retries=0), transport=fake.transport)
    with pytest.raises(ProviderUnavailable, match="timed out"):
        await provider.create_preference(checkout())


async def test_mercadopago_client_errors_are_not_retried_nor_trip_the_breaker() -> None:
    fake = FakeMercadoPago(webhook_secret=SECRET, token="another-token")
    provider = MercadoPagoProvider(
        make_settings(retries=3, breaker_failures=1), transport=fake.transport, sleep=no_sleep
    )
    for _ in range(3):
        with pytest.raises(ProviderRejected):
            await provider.create_preference(checkout())
    assert len(fake.requests) == 3
    assert provider.resilience.breaker.state == "closed"


async def test_mercadopago_breaker_opens_and_recovers() -> None:
    now = [0.0]
    fake = FakeMercadoPago(webhook_secret=SECRET, token=TOKEN, fail_times=2)
    provider = MercadoPagoProvider(
        make_settings(retries=0, breaker_failures=2, breaker_reset_s=10),
        transport=fake.transport,
        clock=lambda: now[0],
    )
    for _ in range(2):
        with pytest.raises(ProviderUnavailable):
            await provider.create_preference(checkout())
    with pytest.raises(ProviderUnavailable) as info:
        await provider.create_preference(checkout())
    assert len(fake.requests) == 2 and info.value.headers["Retry-After"] == "10"
    now[0] += 10
    assert (await provider.create_preference(checkout())).id in fake.preferences


@pytest.mark.parametrize(
    ("mp_status", "ours"),
    [
        ("in_process", "pending"),
        ("authorized", "pending"),
        ("charged_back", "refunded"),
        ("cancelled", "cancelled"),
        ("refunded", "refunded"),
    ],
)
async def test_mercadopago_status_mapping(mp_status: str, ours: str) -> None:
    fake = FakeMercadoPago(webhook_secret=SECRET, token=TOKEN)
    provider = MercadoPagoProvider(make_settings(), transport=fake.transport)
    preference = await provider.create_preference(checkout())
    payment = await provider.get_payment(fake.pay(preference.id, mp_status))
    assert payment.status is PaymentStatus(ours) and payment.provider_status == mp_status


def test_mercadopago_requires_an_access_token() -> None:
    settings = make_settings()
    settings.payments.mercadopago_access_token = None
    with pytest.raises(ValueError, match="ACCESS_TOKEN"):
        MercadoPagoProvider(settings)


def test_json_number_is_exact() -> None:
    assert json_number(Decimal("1234.55")) == 1234.55
    assert repr(json_number(Decimal("9999999999.99"))) == "9999999999.99"


def test_build_provider_follows_settings() -> None:
    assert isinstance(build_provider(make_settings()), SandboxProvider)
    assert isinstance(build_provider(make_settings(provider="mercadopago")), MercadoPagoProvider)


# --- sandbox specifics ----------------------------------------------------------------------


async def test_sandbox_payment_ids_cannot_be_forged() -> None:
    provider = SandboxProvider(make_settings())
    preference = await provider.create_preference(checkout(amount="100.00"))
    at = datetime.now(UTC) - timedelta(minutes=5)
    real = provider.payment_id(decode_preference(preference.id), PaymentStatus.rejected, at)
    assert (await provider.get_payment(real)).status is PaymentStatus.rejected
    forged = real.replace("_rejected_", "_approved_")
    with pytest.raises(ProviderPaymentMissing):
        await provider.get_payment(forged)
    # Another deployment (another secret) does not accept this one's ids.
    other = SandboxProvider(make_settings(webhook_secret=SecretStr("x" * 40)))
    with pytest.raises(ProviderPaymentMissing):
        await other.get_payment(real)


async def test_sandbox_rejects_unknown_preferences_and_reports_delivery_failure() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    provider = SandboxProvider(make_settings(), webhook_transport=httpx.MockTransport(refuse))
    with pytest.raises(PreferenceNotFound):
        await provider.simulate_checkout("not-a-preference", outcome=PaymentStatus.approved)
    preference = await provider.create_preference(checkout())
    with pytest.raises(ProviderUnavailable):
        await provider.simulate_checkout(preference.id, outcome=PaymentStatus.approved)


# --- commission ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "rate", "fee", "net"),
    [
        ("1234.55", "0.10", "123.46", "1111.09"),  # 123.455 rounds half up
        ("0.05", "0.10", "0.01", "0.04"),  # 0.005 rounds half up, not to even
        ("0.15", "0.10", "0.02", "0.13"),  # 0.015: banker's rounding would give 0.02 too
        ("0.25", "0.10", "0.03", "0.22"),  # 0.025: banker's rounding would give 0.02
        ("999999.99", "0.175", "175000.00", "824999.99"),
        ("5000.00", "0", "0.00", "5000.00"),
    ],
)
def test_commission_split(amount: str, rate: str, fee: str, net: str) -> None:
    got_fee, got_net = split_commission(Decimal(amount), Decimal(rate))
    assert (str(got_fee), str(got_net)) == (fee, net)
    assert got_fee + got_net == Decimal(amount)
