from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

# Strict: 4.5 or "4" are refused instead of being silently coerced into a star count.
Stars = Annotated[int, Field(ge=1, le=5, strict=True)]
Comment = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
FlagReason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=5, max_length=1000)]
ReviewedRole = Literal["professional", "client"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ReviewCreate(_Strict):
    rating: Stars
    communication: Stars | None = None
    quality: Stars | None = None
    professionalism: Stars | None = None
    timeliness: Stars | None = None
    comment: Comment | None = None


class ReviewUpdate(_Strict):
    """Only the fields sent change; sub-ratings and the comment may be cleared with null."""

    rating: Stars | None = None
    communication: Stars | None = None
    quality: Stars | None = None
    professionalism: Stars | None = None
    timeliness: Stars | None = None
    comment: Comment | None = None


class FlagCreate(_Strict):
    reason: FlagReason


class PersonRef(BaseModel):
    id: uuid.UUID
    name: str


class ReviewOut(BaseModel):
    id: uuid.UUID
    job_id: uuid.UUID
    reviewer: PersonRef
    reviewed_id: uuid.UUID
    reviewed_role: ReviewedRole
    rating: int
    communication: int | None
    quality: int | None
    professionalism: int | None
    timeliness: int | None
    comment: str | None
    created_at: datetime
    updated_at: datetime
    hidden: bool


class ModeratedReviewOut(ReviewOut):
    """What moderators see on top of the public fields."""

    hidden_at: datetime | None
    hidden_by: uuid.UUID | None
    moderation_reason: str | None


class FlagOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    review_id: uuid.UUID
    user_id: uuid.UUID | None  # None: raised by the system (a held burst of low ratings)
    reason: str
    created_at: datetime
    resolved_at: datetime | None


class FlaggedReviewOut(BaseModel):
    review: ModeratedReviewOut
    flag_count: int
    first_flagged_at: datetime
    flags: list[FlagOut]


class ModerationIn(_Strict):
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=5, max_length=1000)]
