from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, StringConstraints

from fixia.accounts.models import Role
from fixia.payments.models import PaymentKind, PaymentStatus

Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=5, max_length=1000)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AccountStatus(enum.StrEnum):
    active = "active"
    suspended = "suspended"
    deleted = "deleted"


class ReasonIn(_Strict):
    reason: Reason


class RoleIn(_Strict):
    role: Role
    reason: Reason


class AdminUserOut(BaseModel):
    id: uuid.UUID
    email: str
    name: str
    role: Role
    status: AccountStatus
    email_verified: bool
    is_professional_active: bool
    has_professional_profile: bool
    plan: str
    client_rating: Decimal
    client_review_count: int
    created_at: datetime
    last_login_at: datetime | None
    suspended_at: datetime | None
    deleted_at: datetime | None


class AdminPaymentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    payer_id: uuid.UUID
    kind: PaymentKind
    job_id: uuid.UUID | None
    plan: str | None
    amount: Decimal
    currency: str
    platform_fee: Decimal
    professional_amount: Decimal
    status: PaymentStatus
    provider: str
    provider_payment_id: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class AuditFilter:
    """The audit listing's filters; None means any."""

    action: str | None = None
    actor_id: uuid.UUID | None = None
    actor_name: str | None = None
    target_type: str | None = None
    target_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None


class AuditOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    actor_id: uuid.UUID | None
    actor_name: str | None
    action: str
    target_type: str
    target_id: str
    data: dict[str, Any]
    ip: str | None
    created_at: datetime
