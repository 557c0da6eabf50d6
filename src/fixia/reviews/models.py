from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from fixia.db import Base, IdMixin, TimestampMixin, utcnow


class Review(IdMixin, TimestampMixin, Base):
    """One party's review of the other after a confirmed job."""

    __tablename__ = "reviews"
    __table_args__ = (
        UniqueConstraint("job_id", "reviewer_id"),
        CheckConstraint("rating BETWEEN 1 AND 5", name="rating_range"),
    )

    job_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("jobs.id"), index=True)
    reviewer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    reviewed_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    # The role the reviewed user played in the job: "professional" or "client".
    reviewed_role: Mapped[str] = mapped_column(String(16))
    rating: Mapped[int]
    communication: Mapped[int | None]
    quality: Mapped[int | None]
    professionalism: Mapped[int | None]
    timeliness: Mapped[int | None]
    comment: Mapped[str | None] = mapped_column(Text)
    hidden_at: Mapped[datetime | None]
    hidden_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    moderation_reason: Mapped[str | None] = mapped_column(Text)


class ReviewFlag(IdMixin, Base):
    __tablename__ = "review_flags"
    __table_args__ = (UniqueConstraint("review_id", "user_id"),)

    review_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("reviews.id", ondelete="CASCADE"), index=True
    )
    # None: raised by the system (reviews.abuse), not by a person; the reason says why.
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]
