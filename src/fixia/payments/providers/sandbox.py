"""A stand-in for MercadoPago in development and tests.

It is stateless, so it works across worker processes: the preference id carries the payment
reference, amount and currency, and the provider payment id also carries the outcome and its
timestamp plus an HMAC tag, so `get_payment` decodes instead of looking anything up. It delivers
webhooks over real HTTP with MercadoPago's signature scheme, exercising the same webhook path.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from urllib.parse import urlencode

import httpx

from fixia.config import Settings
from fixia.db import utcnow
from fixia.payments.exceptions import PreferenceNotFound, ProviderRejected, ProviderUnavailable
from fixia.payments.models import PaymentStatus
from fixia.payments.providers import signing
from fixia.payments.providers.base import (
    CheckoutRequest,
    LinkedAccount,
    PayoutRequest,
    Preference,
    ProviderPayment,
    ProviderPaymentMissing,
    ProviderPayout,
    ProviderRefund,
    RefundRequest,
    WebhookNotice,
    webhook_url,
)
from fixia.payments.providers.recurring import (
    Agreement,
    AgreementRequest,
    ChargeRequest,
    RecurringCharge,
)

PREFERENCE_PREFIX, PAYMENT_PREFIX = "sbxpref", "sbx"
ACCOUNT_PREFIX, CODE_PREFIX, AGREEMENT_PREFIX = "sbxacct", "sbxcode", "sbxagr"
# A payer whose e-mail's local part ends so has a card that every renewal charge declines.
DECLINED_EMAIL, DECLINED_SUFFIX = "+declined@", "-declined"
# Test affordances, like MercadoPago's test cards: payouts to an account whose id ends so
# fail as a provider outage (retried) or as a refusal (closed account, for good).
DOWN_SUFFIX, CLOSED_SUFFIX = "-down", "-closed"
CHECKOUT_PATH = "/api/v1/payments/sandbox/checkout/{preference_id}"


@dataclass(frozen=True)
class SandboxPreference:
    reference: str
    amount: Decimal
    currency: str


@dataclass(frozen=True)
class SandboxDelivery:
    """What the sandbox sent to the app, and how the app answered."""

    provider_payment_id: str
    status_code: int
    request: httpx.Request


def decode_preference(preference_id: str) -> SandboxPreference:
    parts = preference_id.split("_")
    try:
        prefix, reference, amount, currency = parts
        if prefix != PREFERENCE_PREFIX:
            raise ValueError(prefix)
        return SandboxPreference(reference, Decimal(amount).quantize(Decimal("0.01")), currency)
    except (ValueError, InvalidOperation) as error:
        raise PreferenceNotFound() from error


class SandboxProvider:
    """`webhook_transport` lets tests deliver straight into an in-process app (ASGITransport)."""

    name = "sandbox"

    def __init__(
        self,
        settings: Settings,
        *,
        webhook_transport: httpx.AsyncBaseTransport | None = None,
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        self._settings = settings
        self._secret = settings.payments.webhook_secret.get_secret_value()
        self._transport = webhook_transport
        self._now = now

    def checkout_url(self, preference_id: str) -> str:
        path = CHECKOUT_PATH.format(preference_id=preference_id)
        return self._settings.public_url.rstrip("/") + path

    async def create_preference(self, request: CheckoutRequest) -> Preference:
        if "_" in request.reference or "_" in request.currency:
            raise ValueError("sandbox references and currencies may not contain '_'")
        amount = request.amount.quantize(Decimal("0.01"))
        # Deterministic: the same checkout always gets the same preference, which is what an
        # idempotency key guarantees at MercadoPago.
        preference_id = f"{PREFERENCE_PREFIX}_{request.reference}_{amount}_{request.currency}"
        return Preference(id=preference_id, checkout_url=self.checkout_url(preference_id))

    def _tag(self, body: str) -> str:
        return hmac.new(self._secret.encode(), body.encode(), hashlib.sha256).hexdigest()[:16]

    def payment_id(
        self, preference: SandboxPreference, outcome: PaymentStatus, at: datetime
    ) -> str:
        millis = int(at.timestamp() * 1000)
        body = (
            f"{PAYMENT_PREFIX}_{preference.reference}_{outcome.value}_{preference.amount}_"
            f"{preference.currency}_{millis}"
        )
        return f"{body}_{self._tag(body)}"

    async def get_payment(self, payment_id: str) -> ProviderPayment:
        body, _, tag = payment_id.rpartition("_")
        parts = body.split("_")
        if len(parts) != 6 or parts[0] != PAYMENT_PREFIX:
            raise ProviderPaymentMissing(payment_id)
        if not hmac.compare_digest(self._tag(body), tag):
            raise ProviderPaymentMissing(payment_id)
        _, reference, outcome, amount, currency, millis = parts
        return ProviderPayment(
            id=payment_id,
            status=PaymentStatus(outcome),
            provider_status=outcome,
            amount=Decimal(amount),
            currency=currency,
            external_reference=reference,
            status_changed_at=datetime.fromtimestamp(int(millis) / 1000, UTC),
        )

    def parse_webhook(
        self, *, headers: Mapping[str, str], query: Mapping[str, str], body: bytes
    ) -> WebhookNotice | None:
        return signing.parse_notification(
            self._secret,
            provider=self.name,
            headers=headers,
            query=query,
            body=body,
            tolerance_s=self._settings.payments.webhook_tolerance_s,
        )

    def signed_webhook(self, provider_payment_id: str, topic: str = "payment") -> httpx.Request:
        """The notification MercadoPago would send for this payment (or, with CHARGE_TOPIC,
        this recurring charge), signed the same way."""
        now = self._now()
        request_id = str(uuid.uuid4())
        ts = str(int(now.timestamp()))
        payload = {
            "id": uuid.uuid4().hex,
            "type": topic,
            "action": f"{topic}.updated",
            "live_mode": False,
            "date_created": now.isoformat(),
            "data": {"id": provider_payment_id},
        }
        url = self._settings.payments.sandbox_webhook_url or webhook_url(
            self._settings.public_url, self.name
        )
        signature = signing.sign(
            self._secret, data_id=provider_payment_id, request_id=request_id, ts=ts
        )
        return httpx.Request(
            "POST",
            url,
            params={"data.id": provider_payment_id, "type": topic},
            headers={
                "x-signature": signature,
                "x-request-id": request_id,
                "content-type": "application/json",
            },
            content=json.dumps(payload).encode(),
        )

    async def simulate_checkout(
        self,
        preference_id: str,
        *,
        outcome: PaymentStatus,
        amount: Decimal | None = None,
        at: datetime | None = None,
    ) -> SandboxDelivery:
        """The payer finishes checkout: the sandbox 'charges' and notifies the app.
        `amount` simulates a tampered payment; `at` dates the status (out-of-order tests)."""
        preference = decode_preference(preference_id)
        if amount is not None:
            paid = amount.quantize(Decimal("0.01"))
            preference = SandboxPreference(preference.reference, paid, preference.currency)
        provider_payment_id = self.payment_id(preference, outcome, at or self._now())
        request = self.signed_webhook(provider_payment_id)
        try:
            async with httpx.AsyncClient(
                transport=self._transport, timeout=self._settings.payments.timeout_s
            ) as http:
                response = await http.send(request)
        except httpx.TransportError as error:
            raise ProviderUnavailable("The sandbox could not deliver its webhook.") from error
        return SandboxDelivery(provider_payment_id, response.status_code, request)

    async def refund(self, request: RefundRequest) -> ProviderRefund:
        """Refunds what an approved sandbox payment says it charged; deterministic per key."""
        try:
            paid = await self.get_payment(request.payment_id)
        except ProviderPaymentMissing as error:
            raise ProviderRejected("The sandbox knows no such payment.") from error
        amount = request.amount.quantize(Decimal("0.01"))
        if paid.status is not PaymentStatus.approved or not 0 < amount <= paid.amount:
            raise ProviderRejected("The sandbox refuses this refund.")
        tag = self._tag(f"refund|{request.payment_id}|{request.idempotency_key}")
        return ProviderRefund(f"sbxrefund-{tag}", request.payment_id, amount, approved=True)

    async def payout(self, request: PayoutRequest) -> ProviderPayout:
        account = request.account_id
        if not account.startswith(ACCOUNT_PREFIX) or account.endswith(CLOSED_SUFFIX):
            raise ProviderRejected("The sandbox refuses payouts to this account.")
        if account.endswith(DOWN_SUFFIX):
            raise ProviderUnavailable("The sandbox payout rail is down.")
        tag = self._tag(f"payout|{account}|{request.idempotency_key}")
        return ProviderPayout(f"sbxpayout-{tag}", request.amount, approved=True)

    def link_url(self, *, state: str, redirect_uri: str) -> str:
        """The sandbox authorises at once: straight back with a code."""
        code = f"{CODE_PREFIX}-{self._tag(state)}"
        return f"{redirect_uri}?{urlencode({'code': code, 'state': state})}"

    async def link_account(self, *, code: str, redirect_uri: str) -> LinkedAccount:
        if not code.startswith(CODE_PREFIX + "-"):
            raise ProviderRejected("The sandbox does not know this authorisation code.")
        return LinkedAccount(f"{ACCOUNT_PREFIX}-{code.removeprefix(CODE_PREFIX + '-')}")

    async def create_agreement(self, request: AgreementRequest) -> Agreement:
        """Authorised at once; deterministic per key, like a retried POST at MercadoPago."""
        tag = self._tag(f"agreement|{request.reference}|{request.idempotency_key}")
        declined = DECLINED_SUFFIX if DECLINED_EMAIL in request.payer_email else ""
        agreement_id = f"{AGREEMENT_PREFIX}-{tag}{declined}"
        url = f"{self._settings.public_url.rstrip('/')}/subscription?agreement={agreement_id}"
        return Agreement(agreement_id, url)

    async def charge(self, request: ChargeRequest) -> ProviderPayment:
        """Charges when asked, dated at the period's start: asking again gives the same."""
        if not request.agreement_id.startswith(AGREEMENT_PREFIX + "-"):
            raise ProviderRejected("The sandbox knows no such agreement.")
        declined = request.agreement_id.endswith(DECLINED_SUFFIX)
        outcome = PaymentStatus.rejected if declined else PaymentStatus.approved
        period = SandboxPreference(
            request.reference, request.amount.quantize(Decimal("0.01")), request.currency
        )
        return await self.get_payment(self.payment_id(period, outcome, request.due))

    def charge_id(self, agreement_id: str, payment: ProviderPayment) -> str:
        """What a charge notification names: the agreement and the period's payment."""
        return f"{agreement_id}~{payment.id}"

    async def get_charge(self, charge_id: str) -> RecurringCharge:
        agreement_id, _, payment_id = charge_id.partition("~")
        if not agreement_id.startswith(AGREEMENT_PREFIX + "-"):
            raise ProviderPaymentMissing(charge_id)
        return RecurringCharge(agreement_id, await self.get_payment(payment_id))

    async def cancel_agreement(self, agreement_id: str) -> None:
        if not agreement_id.startswith(AGREEMENT_PREFIX + "-"):
            raise ProviderRejected("The sandbox knows no such agreement.")
