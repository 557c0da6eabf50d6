from __future__ import annotations

import enum
import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fixia.accounts.models import User
from fixia.catalog.models import Category
from fixia.db import Base, IdMixin, TimestampMixin, str_enum


class ProjectStatus(enum.StrEnum):
    open = "open"
    in_progress = "in_progress"
    completed = "completed"
    cancelled = "cancelled"


class ProposalStatus(enum.StrEnum):
    pending = "pending"
    accepted = "accepted"
    rejected = "rejected"
    withdrawn = "withdrawn"


class Project(IdMixin, TimestampMixin, Base):
    """A client's request for quotes (an "anuncio")."""

    __tablename__ = "projects"
    __table_args__ = (Index("ix_projects_status_created", "status", "created_at"),)

    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    category_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("categories.id"), index=True)
    title: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text)
    budget_min: Mapped[Decimal]
    budget_max: Mapped[Decimal]
    deadline: Mapped[datetime]
    location: Mapped[str] = mapped_column(String(120))
    is_remote: Mapped[bool] = mapped_column(default=False)
    skills: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[ProjectStatus] = mapped_column(
        str_enum(ProjectStatus, "project_status"), default=ProjectStatus.open
    )
    deleted_at: Mapped[datetime | None]

    client: Mapped[User] = relationship(lazy="raise")
    category: Mapped[Category] = relationship(lazy="raise")


class Proposal(IdMixin, TimestampMixin, Base):
    __tablename__ = "proposals"

    project_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    professional_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    message: Mapped[str] = mapped_column(Text)
    quoted_price: Mapped[Decimal]
    delivery_time_days: Mapped[int]
    status: Mapped[ProposalStatus] = mapped_column(
        str_enum(ProposalStatus, "proposal_status"), default=ProposalStatus.pending
    )
    decided_at: Mapped[datetime | None]

    project: Mapped[Project] = relationship(lazy="raise")
    professional: Mapped[User] = relationship(lazy="raise")
