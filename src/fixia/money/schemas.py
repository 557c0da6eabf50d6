from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from fixia.money.models import MilestoneStatus

Amount = Annotated[Decimal, Field(gt=0, le=10_000_000, decimal_places=2)]
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MilestoneIn(_Strict):
    title: Title
    amount: Amount
    due_date: AwareDatetime | None = None


class PlanIn(_Strict):
    milestones: Annotated[list[MilestoneIn], Field(min_length=1, max_length=20)]


class DisputeIn(_Strict):
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=5, max_length=2000)]


class ResolveIn(_Strict):
    """release: everything to the professional; refund: everything back to the client;
    partial: `refund_amount` back to the client and the rest released."""

    outcome: Literal["release", "refund", "partial"]
    refund_amount: Amount | None = None


class MilestoneOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    job_id: uuid.UUID
    position: int
    title: str
    amount: Decimal
    due_date: datetime | None
    status: MilestoneStatus
    proposed_by: uuid.UUID
    funded_at: datetime | None
    done_at: datetime | None
    released_at: datetime | None
    refunded_amount: Decimal | None
    held: Decimal


class FundingOut(BaseModel):
    payment_id: uuid.UUID
    checkout_url: str | None
    preference_id: str | None
    amount: Decimal


class LinkOut(BaseModel):
    url: str


class LinkIn(_Strict):
    code: Annotated[str, StringConstraints(min_length=1, max_length=500)]
    state: Annotated[str, StringConstraints(min_length=1, max_length=200)]


class PayoutAccountOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    provider: str
    account_id: str
    created_at: datetime


class PayoutOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    amount: Decimal
    currency: str
    status: str
    attempts: int
    last_error: str | None
    created_at: datetime
    paid_at: datetime | None


class PayoutReport(BaseModel):
    """What the professional is owed, what is on its way, what was paid, and every payout."""

    payable: Decimal
    in_transit: Decimal
    paid: Decimal
    account: PayoutAccountOut | None
    payouts: list[PayoutOut]
