from __future__ import annotations

import enum
import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from fixia.db import Base, IdMixin, TimestampMixin, str_enum, utcnow


class VerificationType(enum.StrEnum):
    identity = "identity"
    skills = "skills"
    business = "business"
    background_check = "background_check"
    phone = "phone"
    email = "email"
    address = "address"


class VerificationStatus(enum.StrEnum):
    pending = "pending"
    approved = "approved"
    rejected = "rejected"
    expired = "expired"
    cancelled = "cancelled"


class VerificationRequest(IdMixin, TimestampMixin, Base):
    """One claim a user asks an admin (or a code, for the phone) to confirm."""

    __tablename__ = "verification_requests"
    __table_args__ = (Index("ix_verification_requests_queue", "status", "type", "created_at"),)

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    type: Mapped[VerificationType] = mapped_column(str_enum(VerificationType, "verification_type"))
    status: Mapped[VerificationStatus] = mapped_column(
        str_enum(VerificationStatus, "verification_status"), default=VerificationStatus.pending
    )
    additional_info: Mapped[str | None] = mapped_column(Text)
    # Private documents (media issue): their ids; served only to the owner and admins.
    document_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    cuit: Mapped[str | None] = mapped_column(String(11))
    reviewer_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    rejection_reason: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None] = mapped_column(index=True)


class TrustScore(Base):
    """The stored score with its components, so the profile can say why."""

    __tablename__ = "trust_scores"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    score: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    components: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)


class PhoneCode(IdMixin, Base):
    """A one-time code sent by SMS: stored hashed, five attempts, short-lived."""

    __tablename__ = "phone_codes"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    code_hash: Mapped[str] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(default=0)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ReviewHelpfulVote(Base):
    """ "Me sirvió": one per user and review. The original's Feedback likes were the same
    signal about a person rather than a review; reviews already carry it."""

    __tablename__ = "review_helpful_votes"

    review_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("reviews.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
