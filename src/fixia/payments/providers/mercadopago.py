"""MercadoPago Checkout Pro over its HTTP API."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import quote, urlencode

import httpx

from fixia.config import Settings
from fixia.db import utcnow
from fixia.payments.exceptions import ProviderRejected
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
    ResilientCaller,
    WebhookNotice,
    raise_for_provider_status,
    webhook_url,
)
from fixia.payments.providers.recurring import (
    Agreement,
    AgreementRequest,
    ChargeRequest,
    RecurringCharge,
)
from fixia.platform.resilience import Sleep

# MercadoPago has more statuses than we need; the in-between ones are still "pending" to us.
STATUS_MAP = {
    "pending": PaymentStatus.pending,
    "authorized": PaymentStatus.pending,
    "in_process": PaymentStatus.pending,
    "in_mediation": PaymentStatus.pending,
    "approved": PaymentStatus.approved,
    "rejected": PaymentStatus.rejected,
    "cancelled": PaymentStatus.cancelled,
    "refunded": PaymentStatus.refunded,
    "charged_back": PaymentStatus.refunded,
}


PAYOUT_DONE = frozenset({"approved", "processed"})
# An authorized payment (one period of a preapproval) before its payment exists: "recycling"
# means MercadoPago declined it and retries on its own, which is a failure to us (dunning).
CHARGE_MAP = {
    "scheduled": PaymentStatus.pending,
    "recycling": PaymentStatus.rejected,
    "cancelled": PaymentStatus.cancelled,
}
# A period's authorized payment is debited around the date we expect; this much earlier
# still counts as this period's (MercadoPago schedules by day, in its own time zone).
PERIOD_SLACK = timedelta(days=2)


def json_number(amount: Decimal) -> float:
    """The API wants a JSON number. A two-decimal amount of NUMERIC(12,2) size round-trips
    exactly through a float's repr; the check makes sure of it, and nothing computes with it."""
    number = float(amount)
    if Decimal(repr(number)) != amount:
        raise ValueError(f"amount {amount} is not representable exactly")
    return number


def _timestamp(data: Mapping[str, Any]) -> datetime:
    for key in ("date_last_updated", "date_approved", "date_created"):
        value = data.get(key)
        if isinstance(value, str):
            try:
                return datetime.fromisoformat(value).astimezone(UTC)
            except ValueError:
                continue
    return utcnow()


def _to_payment(data: Mapping[str, Any]) -> ProviderPayment:
    try:
        raw_status = str(data["status"])
        amount = Decimal(str(data["transaction_amount"])).quantize(Decimal("0.01"))
        payment_id = str(data["id"])
    except (KeyError, InvalidOperation) as error:
        raise ProviderRejected("MercadoPago returned a malformed payment.") from error
    reference = data.get("external_reference")
    return ProviderPayment(
        id=payment_id,
        status=STATUS_MAP.get(raw_status, PaymentStatus.pending),
        provider_status=raw_status,
        amount=amount,
        currency=str(data.get("currency_id") or "ARS"),
        external_reference=str(reference) if reference else None,
        status_changed_at=_timestamp(data),
    )


def _to_charge(data: Mapping[str, Any], reference: str | None) -> RecurringCharge:
    """An authorized payment: its own status until it has a payment, then the payment's."""
    try:
        amount = Decimal(str(data["transaction_amount"])).quantize(Decimal("0.01"))
        charge_id, agreement_id = str(data["id"]), str(data["preapproval_id"])
    except (KeyError, InvalidOperation) as error:
        raise ProviderRejected("MercadoPago returned a malformed authorized payment.") from error
    paid = data.get("payment") if isinstance(data.get("payment"), Mapping) else None
    raw = str((paid or {}).get("status") or data.get("status") or "scheduled")
    status = STATUS_MAP[raw] if paid and raw in STATUS_MAP else CHARGE_MAP.get(raw)
    payment = ProviderPayment(
        id=charge_id,
        status=status or PaymentStatus.pending,
        provider_status=raw,
        amount=amount,
        currency=str(data.get("currency_id") or "ARS"),
        external_reference=reference,
        status_changed_at=_timestamp({"date_last_updated": data.get("last_modified"), **data}),
    )
    return RecurringCharge(agreement_id, payment)


def _period_charge(results: list[Any], due: datetime) -> Mapping[str, Any] | None:
    """The most recent authorized payment debited in the period that starts at `due`."""
    found: list[tuple[datetime, Mapping[str, Any]]] = []
    for item in results:
        if not isinstance(item, Mapping):
            continue
        when = _timestamp({"date_created": item.get("debit_date") or item.get("date_created")})
        if when >= due - PERIOD_SLACK:
            found.append((when, item))
    return max(found, key=lambda pair: pair[0])[1] if found else None


class MercadoPagoProvider:
    """`transport` lets tests put a fake of the API in place of the network."""

    name = "mercadopago"

    def __init__(
        self,
        settings: Settings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        token = settings.payments.mercadopago_access_token
        if token is None:
            raise ValueError("set FIXIA_PAYMENTS__MERCADOPAGO_ACCESS_TOKEN to use MercadoPago")
        self._token = token
        self._settings = settings
        self._transport = transport
        self._secret = settings.payments.webhook_secret
        self.resilience = ResilientCaller(
            settings.payments, name=self.name, clock=clock, sleep=sleep
        )

    def _client(self) -> httpx.AsyncClient:
        # A client per call: no connection pool outlives the event loop or needs closing at
        # shutdown; payments are rare enough that the extra TLS handshake does not matter.
        return httpx.AsyncClient(
            base_url=self._settings.payments.mercadopago_api_url,
            transport=self._transport,
            timeout=httpx.Timeout(self._settings.payments.timeout_s),
            headers={"Authorization": f"Bearer {self._token.get_secret_value()}"},
        )

    def _preference_body(self, request: CheckoutRequest) -> dict[str, Any]:
        public = self._settings.public_url.rstrip("/")
        return {
            "items": [
                {
                    "id": request.reference,
                    "title": request.title,
                    "quantity": 1,
                    "currency_id": request.currency,
                    "unit_price": json_number(request.amount),
                }
            ],
            "payer": {"email": request.payer_email},
            "external_reference": request.reference,
            "notification_url": webhook_url(public, self.name),
            "back_urls": {
                outcome: f"{public}/payments/{request.reference}?result={outcome}"
                for outcome in ("success", "failure", "pending")
            },
            "auto_return": "approved",
        }

    async def create_preference(self, request: CheckoutRequest) -> Preference:
        content = json.dumps(self._preference_body(request))
        headers = {"X-Idempotency-Key": request.idempotency_key, "Content-Type": "application/json"}

        async def send() -> Preference:
            async with self._client() as http:
                response = await http.post(
                    "/checkout/preferences", content=content, headers=headers
                )
            raise_for_provider_status(response)
            if response.status_code >= 400:
                raise ProviderRejected(
                    f"MercadoPago refused the checkout ({response.status_code})."
                )
            data = response.json()
            return Preference(id=str(data["id"]), checkout_url=str(data["init_point"]))

        # Retrying a POST is safe only because MercadoPago deduplicates on the idempotency key.
        return await self.resilience.call(send, retry=True)

    async def get_payment(self, payment_id: str) -> ProviderPayment:
        async def fetch() -> ProviderPayment:
            async with self._client() as http:
                response = await http.get(f"/v1/payments/{quote(payment_id, safe='')}")
            raise_for_provider_status(response)
            if response.status_code == 404:
                raise ProviderPaymentMissing(payment_id)
            if response.status_code >= 400:
                raise ProviderRejected(f"MercadoPago refused the lookup ({response.status_code}).")
            return _to_payment(response.json(parse_float=Decimal))

        return await self.resilience.call(fetch, retry=True)

    def parse_webhook(
        self, *, headers: Mapping[str, str], query: Mapping[str, str], body: bytes
    ) -> WebhookNotice | None:
        return signing.parse_notification(
            self._secret.get_secret_value(),
            provider=self.name,
            headers=headers,
            query=query,
            body=body,
            tolerance_s=self._settings.payments.webhook_tolerance_s,
        )

    async def _post(self, path: str, body: dict[str, Any], key: str, what: str) -> Any:
        """A POST MercadoPago deduplicates on X-Idempotency-Key, so retrying it is safe."""
        content = json.dumps(body)
        headers = {"X-Idempotency-Key": key, "Content-Type": "application/json"}

        async def send() -> Any:
            async with self._client() as http:
                response = await http.post(path, content=content, headers=headers)
            raise_for_provider_status(response)
            if response.status_code >= 400:
                raise ProviderRejected(f"MercadoPago refused the {what} ({response.status_code}).")
            return response.json(parse_float=Decimal)

        return await self.resilience.call(send, retry=True)

    async def refund(self, request: RefundRequest) -> ProviderRefund:
        path = f"/v1/payments/{quote(request.payment_id, safe='')}/refunds"
        body = {"amount": json_number(request.amount)}
        data = await self._post(path, body, request.idempotency_key, "refund")
        return ProviderRefund(
            id=str(data["id"]),
            payment_id=str(data.get("payment_id", request.payment_id)),
            amount=Decimal(str(data.get("amount", request.amount))).quantize(Decimal("0.01")),
            approved=str(data.get("status")) == "approved",
        )

    async def payout(self, request: PayoutRequest) -> ProviderPayout:
        """Money Out (transaction intents): from the platform's account to the linked one."""
        amount = json_number(request.amount)
        body = {
            "external_reference": request.reference,
            "point_of_interaction": {"type": "PSP_TRANSFER"},
            "transaction": {
                "from": {"accounts": [{"amount": amount}]},
                "to": {"accounts": [{"amount": amount, "type": "mercadopago",
                                     "owner": {"id": request.account_id}}]},
                "total_amount": amount,
            },
        }  # fmt: skip
        data = await self._post(
            "/v1/transaction-intents/process", body, request.idempotency_key, "payout"
        )
        status = str(data.get("status", ""))
        return ProviderPayout(str(data["id"]), request.amount, status in PAYOUT_DONE)

    def _oauth_client(self) -> tuple[str, str]:
        p = self._settings.payments
        if p.mercadopago_client_id is None or p.mercadopago_client_secret is None:
            raise ValueError("set the MercadoPago OAuth client id and secret to link accounts")
        return p.mercadopago_client_id, p.mercadopago_client_secret.get_secret_value()

    def link_url(self, *, state: str, redirect_uri: str) -> str:
        client_id, _ = self._oauth_client()
        query = {"client_id": client_id, "response_type": "code", "platform_id": "mp",
                 "state": state, "redirect_uri": redirect_uri}  # fmt: skip
        base = self._settings.payments.mercadopago_auth_url.rstrip("/")
        return f"{base}/authorization?{urlencode(query)}"

    async def link_account(self, *, code: str, redirect_uri: str) -> LinkedAccount:
        client_id, secret = self._oauth_client()
        form = {"client_id": client_id, "client_secret": secret, "code": code,
                "grant_type": "authorization_code", "redirect_uri": redirect_uri}  # fmt: skip

        async def exchange() -> LinkedAccount:
            async with self._client() as http:
                response = await http.post("/oauth/token", data=form)
            raise_for_provider_status(response)
            if response.status_code >= 400:
                raise ProviderRejected(f"MercadoPago refused the link ({response.status_code}).")
            return LinkedAccount(account_id=str(response.json()["user_id"]))

        # An OAuth code works once: never retried.
        return await self.resilience.call(exchange, retry=False)

    async def create_agreement(self, request: AgreementRequest) -> Agreement:
        """A preapproval without a plan, pending until the payer authorises it."""
        public = self._settings.public_url.rstrip("/")
        body = {
            "reason": request.reason[:250],
            "external_reference": request.reference,
            "payer_email": request.payer_email,
            "back_url": f"{public}/subscription",
            "auto_recurring": {
                "frequency": request.frequency_days,
                "frequency_type": "days",
                "start_date": request.starts.astimezone(UTC).isoformat(timespec="milliseconds"),
                "transaction_amount": json_number(request.amount),
                "currency_id": request.currency,
            },
            "status": "pending",
        }
        data = await self._post("/preapproval", body, request.idempotency_key, "agreement")
        return Agreement(id=str(data["id"]), authorize_url=str(data["init_point"]))

    async def _get_json(self, path: str, params: dict[str, str] | None = None) -> Any:
        async def fetch() -> Any:
            async with self._client() as http:
                response = await http.get(path, params=params)
            raise_for_provider_status(response)
            if response.status_code == 404:
                raise ProviderPaymentMissing(path)
            if response.status_code >= 400:
                raise ProviderRejected(f"MercadoPago refused the lookup ({response.status_code}).")
            return response.json(parse_float=Decimal)

        return await self.resilience.call(fetch, retry=True)

    async def charge(self, request: ChargeRequest) -> ProviderPayment:
        """MercadoPago charges on the preapproval's schedule; we read the period's charge."""
        found = await self._get_json(
            "/authorized_payments/search", {"preapproval_id": request.agreement_id}
        )
        results = found.get("results", []) if isinstance(found, Mapping) else []
        item = _period_charge(list(results), request.due)
        if item is None:
            return ProviderPayment(
                id=f"{request.agreement_id}:{request.due:%Y%m%d}",
                status=PaymentStatus.pending,
                provider_status="not_scheduled",
                amount=request.amount,
                currency=request.currency,
                external_reference=request.reference,
                status_changed_at=request.due,
            )
        return _to_charge(item, request.reference).payment

    async def get_charge(self, charge_id: str) -> RecurringCharge:
        data = await self._get_json(f"/authorized_payments/{quote(charge_id, safe='')}")
        return _to_charge(data, None)

    async def cancel_agreement(self, agreement_id: str) -> None:
        content = json.dumps({"status": "cancelled"})

        async def send() -> None:
            async with self._client() as http:
                response = await http.put(
                    f"/preapproval/{quote(agreement_id, safe='')}",
                    content=content,
                    headers={"Content-Type": "application/json"},
                )
            raise_for_provider_status(response)
            if response.status_code >= 400:
                raise ProviderRejected(f"MercadoPago refused to cancel ({response.status_code}).")

        # Setting the same status again is harmless, so a retry is safe.
        await self.resilience.call(send, retry=True)
