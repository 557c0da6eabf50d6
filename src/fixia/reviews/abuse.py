"""A burst of low ratings from new accounts against one professional is held for
moderation, not counted at once: the reviews are hidden and carry a system flag (no
person raised it), so they wait in the admins' flagged queue (restore puts them back)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fixia.accounts.models import User
from fixia.audit import service as audit
from fixia.db import utcnow
from fixia.reviews.models import Review, ReviewFlag

LOW_RATING = 2
NEW_ACCOUNT = timedelta(days=7)
WINDOW = timedelta(hours=24)
BURST = 3
HELD = "review.held"
REASON = "automático: ráfaga de calificaciones bajas de cuentas nuevas"


async def hold_if_burst(session: AsyncSession, review: Review, reviewer: User) -> list[Review]:
    """Call after the review is flushed; returns the reviews it held (none, usually)."""
    now = utcnow()
    if review.rating > LOW_RATING or reviewer.created_at < now - NEW_ACCOUNT:
        return []
    burst = list(
        await session.scalars(
            select(Review)
            .join(User, User.id == Review.reviewer_id)
            .where(
                Review.reviewed_id == review.reviewed_id,
                Review.reviewed_role == "professional",
                Review.rating <= LOW_RATING,
                Review.hidden_at.is_(None),
                Review.created_at >= now - WINDOW,
                User.created_at >= now - NEW_ACCOUNT,
            )
        )
    )
    if len(burst) < BURST:
        return []
    for held in burst:
        held.hidden_at, held.moderation_reason = now, REASON
        flagged = await session.scalar(
            select(ReviewFlag.id).where(
                ReviewFlag.review_id == held.id, ReviewFlag.user_id.is_(None)
            )
        )
        if flagged is None:
            session.add(ReviewFlag(review_id=held.id, user_id=None, reason=REASON))
        audit.record(
            session=session, actor_id=None, action=HELD, target_type="review", target_id=held.id
        )
    await session.flush()
    return burst
