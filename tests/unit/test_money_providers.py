"""Refunds, payouts and payout-account linking: one conformance suite, both providers.

MercadoPago runs against `FakeMercadoPago` (refunds, Money Out transaction intents, the OAuth
authorization_code grant); the sandbox is stateless and decodes what it signed."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import parse_qs, urlparse

import pytest
from pydantic import SecretStr

from fixia.db import utcnow
from fixia.payments.exceptions import ProviderRejected, ProviderUnavailable
from fixia.payments.models import PaymentStatus
from fixia.payments.providers import (
    MercadoPagoProvider,
    PaymentProvider,
    PayoutRequest,
    RefundRequest,
    SandboxProvider,
)
from fixia.payments.providers.sandbox import decode_preference
from tests.factories.payments import FakeMercadoPago
from tests.unit.test_payment_providers import SECRET, TOKEN, checkout, make_settings, no_sleep

REDIRECT = "https://fixia.test/payouts/linked"


@dataclass
class Harness:
    provider: PaymentProvider
    paid: Callable[[str], Awaitable[str]]  # amount -> an approved provider payment id
    consent: Callable[[str], str]  # the link URL -> the code the provider hands back


def sandbox_harness() -> Harness:
    provider = SandboxProvider(make_settings())

    async def paid(amount: str) -> str:
        pref = await provider.create_preference(checkout(amount=amount))
        return provider.payment_id(decode_preference(pref.id), PaymentStatus.approved, utcnow())

    def consent(url: str) -> str:
        return parse_qs(urlparse(url).query)["code"][0]

    return Harness(provider, paid, consent)


def mercadopago_harness() -> Harness:
    fake = FakeMercadoPago(webhook_secret=SECRET, token=TOKEN)
    settings = make_settings(
        mercadopago_client_id=fake.client_id,
        mercadopago_client_secret=SecretStr(fake.client_secret),
    )
    provider = MercadoPagoProvider(settings, transport=fake.transport, sleep=no_sleep)

    async def paid(amount: str) -> str:
        pref = await provider.create_preference(checkout(amount=amount))
        return fake.pay(pref.id)

    return Harness(provider, paid, fake.authorize)


HARNESSES = {"sandbox": sandbox_harness, "mercadopago": mercadopago_harness}


@pytest.fixture(params=sorted(HARNESSES))
def harness(request: pytest.FixtureRequest) -> Harness:
    return HARNESSES[request.param]()


async def test_partial_refund_is_idempotent_per_key(harness: Harness) -> None:
    payment_id = await harness.paid("1000.00")
    request = RefundRequest(payment_id, Decimal("250.10"), idempotency_key="refund:m1")
    first = await harness.provider.refund(request)
    again = await harness.provider.refund(request)
    assert first.approved and first.id == again.id
    assert first.amount == Decimal("250.10")


async def test_refund_more_than_was_paid_is_rejected(harness: Harness) -> None:
    payment_id = await harness.paid("100.00")
    with pytest.raises(ProviderRejected):
        await harness.provider.refund(RefundRequest(payment_id, Decimal("100.01"), "k-over"))


async def test_refund_of_an_unknown_payment_is_rejected(harness: Harness) -> None:
    with pytest.raises((ProviderRejected, ProviderUnavailable)):
        await harness.provider.refund(RefundRequest("999999999", Decimal("1.00"), "k-unknown"))


async def test_link_then_payout_once_per_key(harness: Harness) -> None:
    state = uuid.uuid4().hex
    url = harness.provider.link_url(state=state, redirect_uri=REDIRECT)
    assert state in url
    account = await harness.provider.link_account(code=harness.consent(url), redirect_uri=REDIRECT)
    request = PayoutRequest(account.account_id, Decimal("540.00"), "ARS", "p1", "payout:p1")
    first = await harness.provider.payout(request)
    again = await harness.provider.payout(request)
    assert first.approved and first.id == again.id and first.amount == Decimal("540.00")


async def test_a_made_up_code_links_nothing(harness: Harness) -> None:
    with pytest.raises(ProviderRejected):
        await harness.provider.link_account(code="not-a-code", redirect_uri=REDIRECT)


async def test_mercadopago_refund_sends_exact_amount_and_key() -> None:
    fake = FakeMercadoPago(webhook_secret=SECRET, token=TOKEN)
    provider = MercadoPagoProvider(make_settings(), transport=fake.transport, sleep=no_sleep)
    pref = await provider.create_preference(checkout(amount="10.10"))
    payment_id = fake.pay(pref.id)
    await provider.refund(RefundRequest(payment_id, Decimal("0.10"), "k-exact"))
    sent = fake.requests[-1]
    assert sent.url.path == f"/v1/payments/{payment_id}/refunds"
    assert sent.headers["x-idempotency-key"] == "k-exact"
    assert sent.content == b'{"amount": 0.1}'


async def test_mercadopago_refund_retries_server_errors_with_the_same_key() -> None:
    fake = FakeMercadoPago(webhook_secret=SECRET, token=TOKEN)
    provider = MercadoPagoProvider(make_settings(), transport=fake.transport, sleep=no_sleep)
    pref = await provider.create_preference(checkout(amount="50.00"))
    payment_id = fake.pay(pref.id)
    fake.fail_times = 2
    refund = await provider.refund(RefundRequest(payment_id, Decimal("50.00"), "k-retry"))
    keys = {r.headers.get("x-idempotency-key") for r in fake.requests[-3:]}
    assert refund.approved and keys == {"k-retry"} and len(fake.refunds) == 1


async def test_sandbox_payout_outage_and_closed_account() -> None:
    provider = SandboxProvider(make_settings())
    down = await provider.link_account(code="sbxcode-x-down", redirect_uri=REDIRECT)
    closed = await provider.link_account(code="sbxcode-x-closed", redirect_uri=REDIRECT)
    with pytest.raises(ProviderUnavailable):
        await provider.payout(PayoutRequest(down.account_id, Decimal(1), "ARS", "r", "k"))
    with pytest.raises(ProviderRejected):
        await provider.payout(PayoutRequest(closed.account_id, Decimal(1), "ARS", "r", "k"))


def test_mercadopago_link_url_is_the_oauth_authorization() -> None:
    settings = make_settings(mercadopago_client_id="42", mercadopago_client_secret=SecretStr("s"))
    provider = MercadoPagoProvider(settings)  # builds the URL without calling anyone
    url = urlparse(provider.link_url(state="st", redirect_uri=REDIRECT))
    assert (url.netloc, url.path) == ("auth.mercadopago.com", "/authorization")
    query = parse_qs(url.query)
    assert query["client_id"] == ["42"] and query["redirect_uri"] == [REDIRECT]
    assert query["state"] == ["st"] and query["response_type"] == ["code"]
