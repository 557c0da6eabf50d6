"""What every payment provider offers, and the pieces the implementations share."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol, TypeVar

import httpx

from fixia.config import PaymentSettings
from fixia.payments.exceptions import ProviderUnavailable
from fixia.payments.models import PaymentStatus
from fixia.payments.providers.recurring import RecurringProvider
from fixia.platform.resilience import CircuitBreaker, CircuitOpenError, Sleep, retry_async

T = TypeVar("T")
WEBHOOK_PATH = "/api/v1/payments/webhooks/{provider}"


@dataclass(frozen=True)
class CheckoutRequest:
    """One checkout: `reference` is our payment id and comes back as external_reference."""

    reference: str
    title: str
    amount: Decimal
    currency: str
    payer_email: str
    idempotency_key: str


@dataclass(frozen=True)
class Preference:
    id: str
    checkout_url: str


@dataclass(frozen=True)
class ProviderPayment:
    """A payment as the provider reports it, already mapped to our statuses."""

    id: str
    status: PaymentStatus
    provider_status: str
    amount: Decimal
    currency: str
    external_reference: str | None
    # When the provider last changed the status: orders events that arrive out of order.
    status_changed_at: datetime


@dataclass(frozen=True)
class WebhookNotice:
    """A verified notification: it only says *which* payment changed, never trusted for what."""

    provider: str
    event_id: str
    topic: str
    payment_id: str
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RefundRequest:
    """Give back `amount` of a provider payment; the key makes a retry the same refund."""

    payment_id: str
    amount: Decimal
    idempotency_key: str


@dataclass(frozen=True)
class ProviderRefund:
    id: str
    payment_id: str
    amount: Decimal
    approved: bool


@dataclass(frozen=True)
class PayoutRequest:
    """Send `amount` from the platform's account to a linked payout account."""

    account_id: str
    amount: Decimal
    currency: str
    reference: str
    idempotency_key: str


@dataclass(frozen=True)
class ProviderPayout:
    id: str
    amount: Decimal
    approved: bool


@dataclass(frozen=True)
class LinkedAccount:
    """A professional's account at the provider, after they authorised us (OAuth)."""

    account_id: str


class PaymentProvider(RecurringProvider, Protocol):
    """One-off checkouts, refunds, payouts and (inherited) recurring charges."""

    name: str

    async def create_preference(self, request: CheckoutRequest) -> Preference:
        """Create a hosted checkout; safe to retry with the same idempotency key."""
        ...

    async def get_payment(self, payment_id: str) -> ProviderPayment:
        """The provider's current view of a payment; raises ProviderPaymentMissing."""
        ...

    def parse_webhook(
        self, *, headers: Mapping[str, str], query: Mapping[str, str], body: bytes
    ) -> WebhookNotice | None:
        """Verify the signature (raise InvalidWebhookSignature) and extract the notice;
        None for topics other than payments."""
        ...

    async def refund(self, request: RefundRequest) -> ProviderRefund:
        """Refund all or part of a payment; the same key never refunds twice. Raises
        ProviderRejected (e.g. more than was paid) or ProviderUnavailable (retry later)."""
        ...

    async def payout(self, request: PayoutRequest) -> ProviderPayout:
        """Transfer to a linked account; the same key never pays twice."""
        ...

    def link_url(self, *, state: str, redirect_uri: str) -> str:
        """Where a professional authorises us to pay them (OAuth authorization URL)."""
        ...

    async def link_account(self, *, code: str, redirect_uri: str) -> LinkedAccount:
        """Exchange the OAuth code for the professional's account id."""
        ...


class ProviderPaymentMissing(Exception):
    """The provider does not know this payment id."""


class ProviderServerError(Exception):
    """The provider answered 5xx or 429: it is struggling, so retry and count it as a failure."""


def webhook_url(public_url: str, provider: str) -> str:
    return public_url.rstrip("/") + WEBHOOK_PATH.format(provider=provider)


class ResilientCaller:
    """Timeouts are set on the HTTP client; this adds retries (for safe calls only) and the
    breaker, and turns a struggling provider into ProviderUnavailable (503 + Retry-After)."""

    FAILURES = (httpx.TransportError, ProviderServerError)

    def __init__(
        self,
        settings: PaymentSettings,
        *,
        name: str,
        clock: Callable[[], float] = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.retries = settings.retries
        self.breaker = CircuitBreaker(
            name=f"payments.{name}",
            failure_threshold=settings.breaker_failures,
            reset_timeout_s=settings.breaker_reset_s,
            failure_types=self.FAILURES,
            clock=clock,
        )
        self._sleep = sleep
        self._retry_after = max(1, round(settings.timeout_s))

    async def call(self, fn: Callable[[], Awaitable[T]], *, retry: bool) -> T:
        async def guarded() -> T:
            return await self.breaker.call(fn)

        attempts = self.retries + 1 if retry else 1
        try:
            return await retry_async(
                guarded, attempts=attempts, retry_on=self.FAILURES, sleep=self._sleep
            )
        except CircuitOpenError as error:
            raise ProviderUnavailable(
                "The payment provider is failing; try again shortly.",
                retry_after=error.retry_after,
            ) from error
        except httpx.TimeoutException as error:
            raise ProviderUnavailable(
                "The payment provider timed out.", retry_after=self._retry_after
            ) from error
        except self.FAILURES as error:
            raise ProviderUnavailable(
                "The payment provider is unavailable.", retry_after=self._retry_after
            ) from error


def raise_for_provider_status(response: httpx.Response) -> None:
    """5xx and 429 are the provider's trouble (retry); other 4xx are ours (do not)."""
    if response.status_code >= 500 or response.status_code == 429:
        raise ProviderServerError(f"{response.request.url} answered {response.status_code}")
