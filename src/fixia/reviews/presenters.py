from __future__ import annotations

from fixia.reviews.models import Review
from fixia.reviews.moderation import FlaggedReview
from fixia.reviews.schemas import (
    FlaggedReviewOut,
    FlagOut,
    ModeratedReviewOut,
    PersonRef,
    ReviewOut,
)


def review_out(review: Review, reviewer_name: str) -> ReviewOut:
    """The public shape: who wrote it and the ratings, never the moderator's notes."""
    return ReviewOut(
        id=review.id,
        job_id=review.job_id,
        reviewer=PersonRef(id=review.reviewer_id, name=reviewer_name),
        reviewed_id=review.reviewed_id,
        reviewed_role=review.reviewed_role,
        rating=review.rating,
        communication=review.communication,
        quality=review.quality,
        professionalism=review.professionalism,
        timeliness=review.timeliness,
        comment=review.comment,
        created_at=review.created_at,
        updated_at=review.updated_at,
        hidden=review.hidden_at is not None,
    )


def moderated_review_out(review: Review, reviewer_name: str) -> ModeratedReviewOut:
    return ModeratedReviewOut(
        **review_out(review, reviewer_name).model_dump(),
        hidden_at=review.hidden_at,
        hidden_by=review.hidden_by,
        moderation_reason=review.moderation_reason,
    )


def flagged_out(item: FlaggedReview) -> FlaggedReviewOut:
    return FlaggedReviewOut(
        review=moderated_review_out(item.review, item.reviewer_name),
        flag_count=item.flag_count,
        first_flagged_at=item.first_flagged_at,
        flags=[FlagOut.model_validate(f) for f in item.flags],
    )
