from __future__ import annotations

import enum
import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from fixia.db import Base, IdMixin, TimestampMixin, str_enum, utcnow


class PaymentStatus(enum.StrEnum):
    pending = "pending"
    approved = "approved"
    rejected = "rejected"
    refunded = "refunded"
    cancelled = "cancelled"


class PaymentKind(enum.StrEnum):
    job = "job"
    subscription = "subscription"


class SubscriptionStatus(enum.StrEnum):
    pending = "pending"
    active = "active"
    cancelled = "cancelled"
    expired = "expired"


class Payment(IdMixin, TimestampMixin, Base):
    __tablename__ = "payments"
    __table_args__ = (UniqueConstraint("payer_id", "idempotency_key"),)

    payer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[PaymentKind] = mapped_column(str_enum(PaymentKind, "payment_kind"))
    job_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("jobs.id"), index=True)
    plan: Mapped[str | None] = mapped_column(String(32))
    # Set when the payment funds one milestone (fixia.money): its money is held, not paid out.
    # No foreign key: adding one to this busy table would be a contract step (docs/money.md).
    milestone_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    amount: Mapped[Decimal]
    currency: Mapped[str] = mapped_column(String(3), default="ARS")
    platform_fee: Mapped[Decimal]
    professional_amount: Mapped[Decimal]
    status: Mapped[PaymentStatus] = mapped_column(
        str_enum(PaymentStatus, "payment_status"), default=PaymentStatus.pending
    )
    provider: Mapped[str] = mapped_column(String(32))
    provider_preference_id: Mapped[str | None] = mapped_column(String(128), unique=True)
    provider_payment_id: Mapped[str | None] = mapped_column(String(128), unique=True)
    checkout_url: Mapped[str | None] = mapped_column(String(500))
    idempotency_key: Mapped[str] = mapped_column(String(128))
    # Provider timestamp of the last applied status: older events never overwrite newer ones.
    status_changed_at: Mapped[datetime | None]


class PaymentEvent(IdMixin, Base):
    """Every status change and every webhook received; duplicates are recognised by id."""

    __tablename__ = "payment_events"
    __table_args__ = (UniqueConstraint("provider", "provider_event_id"),)

    payment_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("payments.id", ondelete="CASCADE"), index=True
    )
    provider: Mapped[str] = mapped_column(String(32))
    provider_event_id: Mapped[str] = mapped_column(String(128))
    status: Mapped[str | None] = mapped_column(String(32))
    applied: Mapped[bool] = mapped_column(default=False)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Subscription(IdMixin, TimestampMixin, Base):
    __tablename__ = "subscriptions"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    plan: Mapped[str] = mapped_column(String(32))
    status: Mapped[SubscriptionStatus] = mapped_column(
        str_enum(SubscriptionStatus, "subscription_status"), default=SubscriptionStatus.pending
    )
    payment_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("payments.id"), unique=True)
    started_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    # Renewal (docs/money.md): the provider's recurring agreement, whether it renews, and
    # for a renewal period, the subscription it continues. No foreign key on renewal_of_id:
    # the column is added to a live table (expand only).
    auto_renew: Mapped[bool] = mapped_column(default=False, server_default=false())
    agreement_id: Mapped[str | None] = mapped_column(String(128), index=True)
    renewal_of_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
