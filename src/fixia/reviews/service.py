"""Reviews after a confirmed job: create, edit, list, flag, and the rating aggregates.

Never commits: the request's session owns the transaction, so a review and the averages it
changes are saved together or not at all.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import Select, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from fixia import events
from fixia.accounts.models import ProfessionalProfile, User
from fixia.config import Settings
from fixia.db import utcnow
from fixia.errors import InvalidInput
from fixia.matches.models import Job, JobStatus
from fixia.notifications.service import notify
from fixia.platform.pagination import SortKey, paginate, split_page
from fixia.queue.signals import trust_inputs_changed
from fixia.reviews import abuse
from fixia.reviews import exceptions as exc
from fixia.reviews.models import Review, ReviewFlag
from fixia.reviews.schemas import ReviewCreate, ReviewUpdate

PROFESSIONAL, CLIENT = "professional", "client"
CENT = Decimal("0.01")
# A review with the reviewer's display name, as every listing returns it.
Named = tuple[Review, str]


def _named() -> Select[Any]:
    # add_columns keeps the statement loosely typed, as the paginate helper takes it.
    return select(Review).add_columns(User.name).join(User, User.id == Review.reviewer_id)


async def load_review(
    *, session: AsyncSession, review_id: uuid.UUID, lock: bool = False
) -> Review | None:
    stmt = select(Review).where(Review.id == review_id)
    if lock:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def reviewer_name(*, session: AsyncSession, review: Review) -> str:
    name = await session.scalar(select(User.name).where(User.id == review.reviewer_id))
    return name or ""


def _quantize(average: Any) -> Decimal:
    # AVG is a float on SQLite and a NUMERIC on PostgreSQL; going through str gives both
    # dialects the same decimal digits before rounding half-up to cents.
    if average is None:
        return Decimal("0.00")
    return Decimal(str(average)).quantize(CENT, rounding=ROUND_HALF_UP)


async def recompute_rating(*, session: AsyncSession, user_id: uuid.UUID, role: str) -> None:
    """Rewrite the reviewed user's average and count from their visible reviews in `role`.

    The aggregate row is locked first: a concurrent review of the same user waits here and
    then its AVG (a new statement, so a new READ COMMITTED snapshot) sees this one.
    """
    table: type[ProfessionalProfile] | type[User]
    if role == PROFESSIONAL:
        table, key = ProfessionalProfile, ProfessionalProfile.user_id
    else:
        table, key = User, User.id
    locked = await session.execute(select(table.id).where(key == user_id).with_for_update())
    if locked.scalar_one_or_none() is None:
        return  # e.g. a former professional whose profile is gone: nothing to keep in sync
    stmt = select(func.avg(Review.rating), func.count(Review.id)).where(
        Review.reviewed_id == user_id, Review.reviewed_role == role, Review.hidden_at.is_(None)
    )
    average, count = (await session.execute(stmt)).one()
    if role == PROFESSIONAL:
        values = {"rating": _quantize(average), "review_count": count}
    else:
        values = {"client_rating": _quantize(average), "client_review_count": count}
    await session.execute(update(table).where(key == user_id).values(**values))
    if role == PROFESSIONAL:
        await trust_inputs_changed(session, user_id)  # the trust score reads the same reviews


def _counterpart(job: Job, reviewer: User) -> tuple[uuid.UUID, str]:
    """Who is reviewed and in which role: always the other party of the job."""
    if reviewer.id == job.client_id:
        return job.professional_id, PROFESSIONAL
    return job.client_id, CLIENT


async def create(*, session: AsyncSession, job: Job, reviewer: User, data: ReviewCreate) -> Review:
    """`job` must be locked by the caller so both parties' reviews serialise."""
    if job.status is not JobStatus.completed:
        raise exc.JobNotCompleted("Reviews open once the completion is confirmed.")
    existing = await session.scalar(
        select(Review.id).where(Review.job_id == job.id, Review.reviewer_id == reviewer.id)
    )
    if existing is not None:
        raise exc.AlreadyReviewed()
    reviewed_id, role = _counterpart(job, reviewer)
    review = Review(
        job_id=job.id,
        reviewer_id=reviewer.id,
        reviewed_id=reviewed_id,
        reviewed_role=role,
        **data.model_dump(),
    )
    session.add(review)
    await session.flush()
    await abuse.hold_if_burst(session, review, reviewer)
    await recompute_rating(session=session, user_id=reviewed_id, role=role)
    await notify(
        session=session,
        user_id=reviewed_id,
        type="review_received",
        title="Recibiste una reseña",
        message=f"{reviewer.name} te calificó con {data.rating} de 5 por «{job.title}».",
        action_url=f"/users/{reviewed_id}/reviews",
    )
    events.emit(
        session,
        "review.created",
        review_id=str(review.id),
        job_id=str(job.id),
        reviewed_id=str(reviewed_id),
        reviewed_role=role,
        rating=data.rating,
    )
    return review


async def _check_editable(*, session: AsyncSession, settings: Settings, review: Review) -> None:
    window = timedelta(seconds=settings.marketplace.review_edit_window_s)
    if utcnow() - review.created_at > window:
        raise exc.EditWindowClosed("Reviews can be edited for 24 hours after they are written.")
    # Lock the job as creating a review does, so the other party cannot review in between.
    await session.execute(select(Job.id).where(Job.id == review.job_id).with_for_update())
    other = await session.scalar(
        select(Review.id).where(
            Review.job_id == review.job_id, Review.reviewer_id != review.reviewer_id
        )
    )
    if other is not None:
        raise exc.OtherPartyReviewed("The other party already reviewed; reviews are final.")


async def update_review(
    *, session: AsyncSession, settings: Settings, review: Review, data: ReviewUpdate
) -> Review:
    await _check_editable(session=session, settings=settings, review=review)
    changes = data.model_dump(exclude_unset=True)
    if "rating" in changes and changes["rating"] is None:
        raise InvalidInput("rating", "may not be null")
    for field, value in changes.items():
        setattr(review, field, value)
    await session.flush()
    if "rating" in changes:
        await recompute_rating(
            session=session, user_id=review.reviewed_id, role=review.reviewed_role
        )
    events.emit(session, "review.updated", review_id=str(review.id))
    return review


async def for_user(
    *,
    session: AsyncSession,
    user_id: uuid.UUID,
    role: str | None,
    cursor: str | None,
    limit: int,
) -> tuple[list[Named], str | None]:
    """Public: the visible reviews a user received, newest first."""
    stmt = _named().where(Review.reviewed_id == user_id, Review.hidden_at.is_(None))
    if role is not None:
        stmt = stmt.where(Review.reviewed_role == role)
    keys = [SortKey(Review.created_at, descending=True), SortKey(Review.id, descending=True)]
    rows = list((await session.execute(paginate(stmt, keys, cursor, limit))).all())
    page, next_cursor = split_page(rows, limit)
    return [(r[0], r[1]) for r in page], next_cursor


async def for_job(*, session: AsyncSession, job: Job, viewer: User) -> list[Named]:
    """Both reviews of a job; a hidden one is shown only to its own author."""
    stmt = (
        _named()
        .where(
            Review.job_id == job.id,
            or_(Review.hidden_at.is_(None), Review.reviewer_id == viewer.id),
        )
        .order_by(Review.created_at, Review.id)
    )
    return [(r[0], r[1]) for r in (await session.execute(stmt)).all()]


async def flag(*, session: AsyncSession, review: Review, user: User, reason: str) -> ReviewFlag:
    if review.reviewer_id == user.id:
        raise exc.OwnReviewFlag()
    existing = await session.scalar(
        select(ReviewFlag.id).where(
            ReviewFlag.review_id == review.id, ReviewFlag.user_id == user.id
        )
    )
    if existing is not None:
        raise exc.AlreadyFlagged()
    row = ReviewFlag(review_id=review.id, user_id=user.id, reason=reason)
    session.add(row)
    await session.flush()
    events.emit(session, "review.flagged", review_id=str(review.id))
    return row
