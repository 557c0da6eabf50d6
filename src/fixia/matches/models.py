from __future__ import annotations

import enum
import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fixia.accounts.models import User
from fixia.catalog.models import Service
from fixia.db import Base, IdMixin, TimestampMixin, str_enum, utcnow


class ServiceRequestStatus(enum.StrEnum):
    pending = "pending"
    accepted = "accepted"
    rejected = "rejected"
    cancelled = "cancelled"


class MatchStatus(enum.StrEnum):
    active = "active"
    completed = "completed"
    disputed = "disputed"
    cancelled = "cancelled"


class JobStatus(enum.StrEnum):
    not_started = "not_started"
    in_progress = "in_progress"
    completion_requested = "completion_requested"
    completed = "completed"
    cancelled = "cancelled"
    disputed = "disputed"


class ServiceRequest(IdMixin, TimestampMixin, Base):
    """A client asks a professional for one of their services."""

    __tablename__ = "service_requests"
    __table_args__ = (
        # One pending request per client per service, enforced by the database.
        Index(
            "uq_service_requests_pending",
            "client_id",
            "service_id",
            unique=True,
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
    )

    service_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("services.id"), index=True)
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    professional_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    message: Mapped[str] = mapped_column(Text)
    budget: Mapped[Decimal | None]
    deadline: Mapped[datetime | None]
    status: Mapped[ServiceRequestStatus] = mapped_column(
        str_enum(ServiceRequestStatus, "service_request_status"),
        default=ServiceRequestStatus.pending,
    )
    response_message: Mapped[str | None] = mapped_column(Text)

    service: Mapped[Service] = relationship(lazy="raise")
    client: Mapped[User] = relationship(lazy="raise", foreign_keys=[client_id])


class Match(IdMixin, TimestampMixin, Base):
    """Client and professional agreed: from an accepted proposal or service request.

    One table for both origins, so service requests get the same completion, reveal and
    review flow (the original ServiceMatch had none).
    """

    __tablename__ = "matches"

    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    professional_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    project_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("projects.id"), unique=True)
    proposal_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("proposals.id"), unique=True)
    service_request_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("service_requests.id"), unique=True
    )
    status: Mapped[MatchStatus] = mapped_column(
        str_enum(MatchStatus, "match_status"), default=MatchStatus.active
    )


class Job(IdMixin, TimestampMixin, Base):
    __tablename__ = "jobs"

    match_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("matches.id"), unique=True)
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    professional_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    title: Mapped[str] = mapped_column(String(100))
    agreed_price: Mapped[Decimal]
    currency: Mapped[str] = mapped_column(String(3), default="ARS")
    delivery_date: Mapped[datetime]
    status: Mapped[JobStatus] = mapped_column(
        str_enum(JobStatus, "job_status"), default=JobStatus.not_started
    )
    progress: Mapped[int] = mapped_column(default=0)
    started_at: Mapped[datetime | None]
    completion_requested_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    completion_requested_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    dispute_reason: Mapped[str | None] = mapped_column(Text)
    disputed_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    resolution: Mapped[str | None] = mapped_column(Text)
    resolved_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    resolved_at: Mapped[datetime | None]

    client: Mapped[User] = relationship(lazy="raise", foreign_keys=[client_id])
    professional: Mapped[User] = relationship(lazy="raise", foreign_keys=[professional_id])


class JobStatusUpdate(IdMixin, Base):
    """The job's history: every transition, who made it and why."""

    __tablename__ = "job_status_updates"

    job_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(32))
    to_status: Mapped[str] = mapped_column(String(32))
    message: Mapped[str | None] = mapped_column(Text)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ContactReveal(IdMixin, Base):
    """A one-time, 24-hour token that reveals the other party's phone, and its audit trail."""

    __tablename__ = "contact_reveals"

    match_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("matches.id", ondelete="CASCADE"), index=True
    )
    requester_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    target_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revealed_at: Mapped[datetime | None]
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(255))
