"""Recurring payments: the payer authorises an agreement once, the provider charges each period.

MercadoPago calls the agreement a preapproval and each period's charge an authorized payment;
it charges on its own schedule (and retries a declined card itself). We never hold card data:
the scheduler asks the provider for the current state of a period's charge and applies it the
same way as a payment webhook, so a poll and a notification can race without harm.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:  # base builds PaymentProvider on this Protocol: no import cycle at runtime
    from fixia.payments.providers.base import ProviderPayment

# The notification topic of one period's charge (MercadoPago's name for it).
CHARGE_TOPIC = "subscription_authorized_payment"


@dataclass(frozen=True)
class AgreementRequest:
    """Authorise charging `amount` every `frequency_days`; `reference` is our subscription."""

    reference: str
    reason: str
    amount: Decimal
    currency: str
    frequency_days: int
    # The first charge: the end of the period already paid.
    starts: datetime
    payer_email: str
    idempotency_key: str


@dataclass(frozen=True)
class Agreement:
    id: str
    # Where the payer authorises it (MercadoPago's init_point).
    authorize_url: str


@dataclass(frozen=True)
class ChargeRequest:
    """The charge of the period that starts at `due`; `reference` is our renewal payment."""

    agreement_id: str
    reference: str
    amount: Decimal
    currency: str
    due: datetime


@dataclass(frozen=True)
class RecurringCharge:
    agreement_id: str
    payment: ProviderPayment


class RecurringProvider(Protocol):
    name: str

    async def create_agreement(self, request: AgreementRequest) -> Agreement:
        """Start an agreement the payer must authorise; safe to retry with the same key."""
        ...

    async def charge(self, request: ChargeRequest) -> ProviderPayment:
        """The provider's current view of the period's charge: pending until it has run, then
        approved or rejected. Asking again never charges twice. Its external_reference is
        the request's reference."""
        ...

    async def get_charge(self, charge_id: str) -> RecurringCharge:
        """One charge, as a charge notification names it; raises ProviderPaymentMissing."""
        ...

    async def cancel_agreement(self, agreement_id: str) -> None:
        """No more charges; cancelling twice is fine."""
        ...
