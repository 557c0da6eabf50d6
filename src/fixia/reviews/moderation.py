"""Admin moderation of reviews: the flag queue, hiding and restoring. Never commits."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from fixia import events
from fixia.accounts.models import User
from fixia.audit import service as audit
from fixia.db import utcnow
from fixia.platform.pagination import SortKey, paginate, split_page
from fixia.reviews import exceptions as exc
from fixia.reviews.models import Review, ReviewFlag
from fixia.reviews.service import recompute_rating


@dataclass(frozen=True)
class FlaggedReview:
    review: Review
    reviewer_name: str
    flag_count: int
    first_flagged_at: datetime
    flags: list[ReviewFlag]


async def flagged_queue(
    *, session: AsyncSession, cursor: str | None, limit: int
) -> tuple[list[FlaggedReview], str | None]:
    """Reviews with unresolved flags, the longest-waiting first."""
    open_flags = (
        select(
            ReviewFlag.review_id,
            func.count(ReviewFlag.id).label("flag_count"),
            func.min(ReviewFlag.created_at).label("first_flagged_at"),
        )
        .where(ReviewFlag.resolved_at.is_(None))
        .group_by(ReviewFlag.review_id)
        .subquery()
    )
    stmt = (
        select(Review, User.name, open_flags.c.flag_count, open_flags.c.first_flagged_at)
        .join(open_flags, open_flags.c.review_id == Review.id)
        .join(User, User.id == Review.reviewer_id)
    )
    keys = [SortKey(open_flags.c.first_flagged_at), SortKey(Review.id)]
    rows = list((await session.execute(paginate(stmt, keys, cursor, limit))).all())
    page, next_cursor = split_page(rows, limit)
    flags = await _open_flags(session=session, review_ids=[r[0].id for r in page])
    items = [
        FlaggedReview(
            review=r[0],
            reviewer_name=r[1],
            flag_count=r[2],
            first_flagged_at=r[3],
            flags=flags.get(r[0].id, []),
        )
        for r in page
    ]
    return items, next_cursor


async def _open_flags(
    *, session: AsyncSession, review_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[ReviewFlag]]:
    if not review_ids:
        return {}
    stmt = (
        select(ReviewFlag)
        .where(ReviewFlag.review_id.in_(review_ids), ReviewFlag.resolved_at.is_(None))
        .order_by(ReviewFlag.created_at, ReviewFlag.id)
    )
    by_review: dict[uuid.UUID, list[ReviewFlag]] = {}
    for row in (await session.execute(stmt)).scalars():
        by_review.setdefault(row.review_id, []).append(row)
    return by_review


async def _settle(
    *, session: AsyncSession, review: Review, admin: User, action: str, reason: str
) -> None:
    """What hiding and restoring share: close the flags, re-average, audit, announce."""
    await session.execute(
        update(ReviewFlag)
        .where(ReviewFlag.review_id == review.id, ReviewFlag.resolved_at.is_(None))
        .values(resolved_at=utcnow())
    )
    review.moderation_reason = reason
    await session.flush()
    await recompute_rating(session=session, user_id=review.reviewed_id, role=review.reviewed_role)
    audit.record(
        session=session,
        actor_id=admin.id,
        action=action,
        target_type="review",
        target_id=review.id,
        reason=reason,
    )
    events.emit(session, action, review_id=str(review.id))


async def hide(*, session: AsyncSession, review: Review, admin: User, reason: str) -> Review:
    if review.hidden_at is not None:
        raise exc.ReviewAlreadyHidden()
    review.hidden_at, review.hidden_by = utcnow(), admin.id
    await _settle(
        session=session, review=review, admin=admin, action="review.hidden", reason=reason
    )
    return review


async def restore(*, session: AsyncSession, review: Review, admin: User, reason: str) -> Review:
    if review.hidden_at is None:
        raise exc.ReviewNotHidden()
    review.hidden_at = review.hidden_by = None
    await _settle(
        session=session, review=review, admin=admin, action="review.restored", reason=reason
    )
    return review
