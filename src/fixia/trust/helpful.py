""" "Me sirvió" on reviews: one vote per user and review, never on a review of one's own."""

from __future__ import annotations

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from fixia.accounts.models import User
from fixia.reviews.models import Review
from fixia.trust import exceptions as exc
from fixia.trust.models import ReviewHelpfulVote


async def count(session: AsyncSession, review: Review) -> int:
    found = await session.scalar(
        select(func.count()).where(ReviewHelpfulVote.review_id == review.id)
    )
    return int(found or 0)


async def vote(*, session: AsyncSession, user: User, review: Review) -> int:
    if user.id in (review.reviewer_id, review.reviewed_id):
        raise exc.OwnReviewVote()
    if await session.get(ReviewHelpfulVote, (review.id, user.id)) is None:
        session.add(ReviewHelpfulVote(review_id=review.id, user_id=user.id))
        await session.flush()
    return await count(session, review)


async def unvote(*, session: AsyncSession, user: User, review: Review) -> int:
    await session.execute(
        delete(ReviewHelpfulVote).where(
            ReviewHelpfulVote.review_id == review.id, ReviewHelpfulVote.user_id == user.id
        )
    )
    return await count(session, review)
