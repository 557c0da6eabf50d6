from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from fixia.payments.models import PaymentKind, PaymentStatus, SubscriptionStatus

PlanName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32)]
SandboxOutcome = Literal["approved", "rejected", "pending", "cancelled", "refunded"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SubscriptionIn(_Strict):
    plan: PlanName


class SandboxCheckoutIn(_Strict):
    outcome: SandboxOutcome = "approved"
    # Simulates a payer who paid a different amount than asked (a tampered checkout).
    amount: Annotated[Decimal, Field(gt=0, le=10_000_000, decimal_places=2)] | None = None


class SandboxCheckoutOut(BaseModel):
    provider_payment_id: str
    webhook_status: int


class WebhookAck(BaseModel):
    """Always 200 once the signature checks out, so the provider stops retrying."""

    result: Literal["applied", "unchanged", "duplicate", "ignored"]


class PaymentEventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    status: str | None
    applied: bool
    created_at: datetime


class PaymentOut(BaseModel):
    id: uuid.UUID
    kind: PaymentKind
    status: PaymentStatus
    amount: Decimal
    currency: str
    platform_fee: Decimal
    professional_amount: Decimal
    job_id: uuid.UUID | None
    plan: str | None
    provider: str
    # Only the payer sees where to pay.
    checkout_url: str | None
    provider_preference_id: str | None
    status_changed_at: datetime | None
    created_at: datetime


class PaymentDetail(PaymentOut):
    history: list[PaymentEventOut]


class SubscriptionOut(BaseModel):
    id: uuid.UUID
    plan: str
    status: SubscriptionStatus
    started_at: datetime | None
    expires_at: datetime | None
    cancelled_at: datetime | None
    created_at: datetime
    auto_renew: bool = False
    payment: PaymentOut | None = None


class RenewalOut(BaseModel):
    """Renewal switched on: the payer authorises the provider's agreement at authorize_url."""

    subscription: SubscriptionOut
    authorize_url: str


class PlanOut(BaseModel):
    name: str
    price_ars: Decimal
    duration_days: int
    active_services: int | None
    projects_per_month: int | None
    proposals_per_month: int | None
